"""python -m bot.console [--host H] [--port P]: serve the staff console."""
from __future__ import annotations

import argparse
import os
import sys

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot import settings
from bot.console import app, auth
from bot.storage import database


def first_run_hint() -> str:
    """How to make the first admin account, when there is none; '' otherwise."""
    engine = database.make_engine()
    try:
        with engine.connect() as connection:
            if auth.has_active_admin(connection):
                return ""
    finally:
        engine.dispose()
    return ("  No admin account yet. Create one (the password is asked for, or read from "
            "STAFF_PASSWORD):\n    .venv/bin/python -m bot staff add NAME --role admin")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.console",
                                     description="Serve the staff console.")
    parser.add_argument("--host", default=os.environ.get("CONSOLE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CONSOLE_PORT", 8090)))
    args = parser.parse_args(argv)
    try:
        hint = first_run_hint()
        application = app.make_app()
    except (settings.ConfigurationError, database.DatabaseConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"error: the console's tables are missing or the database cannot be used "
              f"({type(error).__name__}); run: make migrate", file=sys.stderr)
        return 2
    print(f"  Staff console: http://localhost:{args.port}/", flush=True)
    if hint:
        print(hint, flush=True)
    web.run_app(application, host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
