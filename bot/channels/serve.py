"""Start the Rasa server with the HTTP API's secret read here, never from the command line.

    python -m bot.channels.serve --model models/triage.tar.gz --endpoints ... [rasa run options]

`rasa run` takes the API token and the JWT secret only as `--auth-token` and `--jwt-secret`,
and a command line is visible to every user of the host (`ps`, /proc/<pid>/cmdline). This
launcher reads them from the environment (RASA_API_TOKEN, RASA_JWT_SECRET, RASA_JWT_METHOD)
or from files (RASA_API_TOKEN_FILE, RASA_JWT_SECRET_FILE), and hands them to Rasa inside
the process: the process list shows only the options given here. With a secret the HTTP API
is on (`--enable-api`), protected by it; without one it stays off unless `--enable-api` is
given here (the tests' private servers on 127.0.0.1).

It also adds GET /health and GET /metrics to the server (bot.operations.rasa_server), and
reads the rate limits once (bot.channels.rate_limit), so a setting that cannot be read
stops the server at start with the reason instead of at the first message.
"""
from __future__ import annotations

import sys
from typing import List, Optional

from bot import settings

REFUSED = ("--auth-token", "--jwt-secret", "--jwt-private-key")


def rasa_arguments(argv: List[str], environ=None) -> List[str]:
    """The arguments of `rasa run`: those given, plus the API's secret from the environment."""
    import os

    environ = os.environ if environ is None else environ
    for option in REFUSED:
        if any(arg == option or arg.startswith(option + "=") for arg in argv):
            raise settings.ConfigurationError(
                f"{option} is read from the environment (RASA_API_TOKEN, RASA_JWT_SECRET, or "
                f"their _FILE variants), not from the command line, where `ps` shows it")
    token = settings.secret("RASA_API_TOKEN", environ)
    jwt_secret = settings.secret("RASA_JWT_SECRET", environ)
    args = ["run", *argv]
    if token or jwt_secret:
        if "--enable-api" not in args:
            args.append("--enable-api")
        if token:
            # One argument "--option=value": a secret may begin with "-" (token_urlsafe
            # gives one in 64), which argparse would read as an option of its own.
            args.append(f"--auth-token={token}")
        if jwt_secret:
            args += [f"--jwt-secret={jwt_secret}",
                     f"--jwt-method={environ.get('RASA_JWT_METHOD', 'HS256')}"]
    return args


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Imported before Rasa imports TensorFlow: the model's spaCy pipeline then loads in
    # 3.7 s, not 9 s (bot.language's docstring says why).
    from bot.language import run_rasa
    from bot.channels import rate_limit

    try:
        args = rasa_arguments(argv)
        rate_limit.RateLimits.from_environ()
    except (settings.ConfigurationError, rate_limit.ConfigurationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from bot.operations import rasa_server

    rasa_server.install()
    # Rasa parses sys.argv; the list run_rasa gives it lives in the process's memory only
    # (the kernel's copy, which `ps` shows, keeps what this launcher was started with).
    run_rasa(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
