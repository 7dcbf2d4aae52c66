"""Start, stop and inspect the multi-instance set-up on one host (make cluster / cluster-stop).

    python cluster/control.py start | stop | status

Two Rasa servers and two action servers on 127.0.0.1, PostgreSQL as the tracker store, Redis
as the lock store, nginx in front; the staff console behind nginx on a port of its own. Every process is started here, its id written under
$CLUSTER_DIR/pids/, and stopped by that id. The reliability tests drive the same class.

Settings (environment; defaults in brackets):
  CLUSTER_DIR [var/cluster]       pid files, logs, rendered nginx.conf, generated secrets
  CLUSTER_PORT [5700]             the load balancer: chat channels for the public
  CLUSTER_RASA_PORTS [5701,5702]  the Rasa servers (HTTP API with token, on 127.0.0.1)
  CLUSTER_ACTION_PORTS [5751,5752] the action servers; CLUSTER_ACTION_LB_PORT [5750]
  CLUSTER_CONSOLE_PORT [CLUSTER_PORT+80]  the staff console through nginx (staff only);
  CLUSTER_CONSOLE_BACKEND_PORT [CLUSTER_PORT+81]  the console itself, on 127.0.0.1
  CLUSTER_STATUS_PORT [5749]      nginx's stub_status page (/nginx_status), host only
  CLUSTER_RATE_REST [30r/m], CLUSTER_BURST_REST [20]       per client address, nginx's
  CLUSTER_RATE_WIDGET [10r/s], CLUSTER_BURST_WIDGET [100]  limit_req (REST, socket.io)
  CLUSTER_RATE_EXEMPT [127.0.0.1] addresses/networks nginx does not limit (comma-separated)
  RATE_LIMIT_SENDER, RATE_LIMIT_ADDRESS  the Rasa servers' own limits (bot/channels/rate_limit.py);
                                  they read the client's address from nginx's X-Forwarded-For
  TRACKER_DB_URL [postgresql://postgres@127.0.0.1:5432/triage_cluster]  created if missing
  LOCK_STORE_URL [redis://127.0.0.1:6379/3], LOCK_STORE_PREFIX [triagecluster]
  TICKET_LOCK_LIFETIME [30]       seconds a dead server's ticket blocks its conversation
  RASA_API_TOKEN, PSEUDONYM_SECRET, REST_TOKEN, REST_JWT_SECRET, WIDGET_SESSION_SECRET
                                  secrets (each also as NAME_FILE); when unset, random ones
                                  are made once into $CLUSTER_DIR/secrets.env (mode 600) for
                                  this local set-up. The servers read them from their
                                  environment, never from their command line (ps shows it).
  REST_AUTH [token]               the REST webhook needs REST_TOKEN or a JWT (README)
  CORS_ORIGINS [http://localhost:$CLUSTER_PORT,http://127.0.0.1:$CLUSTER_PORT]  origins
                                  allowed in browsers (comma-separated)
  Everything else (EMERGENCY_NUMBER, channel settings...) as scripts/env.sh gives it.
  MODEL [models/triage.tar.gz], NGINX [/usr/sbin/nginx]
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def _with_project_defaults(env: dict) -> dict:
    """`env` completed with the defaults of scripts/env.sh, as make run gets them."""
    out = subprocess.run(["bash", "-c", "source scripts/env.sh && env -0"], cwd=ROOT, env=env,
                         check=True, capture_output=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


SECRETS = ("RASA_API_TOKEN", "PSEUDONYM_SECRET", "REST_TOKEN", "REST_JWT_SECRET",
           "WIDGET_SESSION_SECRET")


def origins(value: str) -> list:
    return value.replace(",", " ").split()


def _nginx_rate(value: str) -> str:
    """A limit_req rate ('2r/s', '120r/m'), checked: it is written into nginx.conf."""
    import re

    if not re.fullmatch(r"\d+r/[sm]", value.strip()):
        raise SystemExit(f"error: a cluster rate must look like 2r/s or 120r/m, not {value!r}")
    return value.strip()


def _network(value: str) -> str:
    """An address or network for nginx's geo block, checked (it is written into nginx.conf)."""
    import ipaddress

    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise SystemExit(f"error: CLUSTER_RATE_EXEMPT: {value!r} is not an address or network")


def _ports(value: str) -> list:
    return [int(p) for p in value.replace(",", " ").split()]


class Cluster:
    def __init__(self, environ=None):
        env = dict(os.environ if environ is None else environ)
        self.dir = (ROOT / env.get("CLUSTER_DIR", "var/cluster")).resolve()
        self.port = int(env.get("CLUSTER_PORT", "5700"))
        self.rasa_ports = _ports(env.get("CLUSTER_RASA_PORTS", "5701,5702"))
        self.action_ports = _ports(env.get("CLUSTER_ACTION_PORTS", "5751,5752"))
        self.action_lb_port = int(env.get("CLUSTER_ACTION_LB_PORT", "5750"))
        self.console_port = int(env.get("CLUSTER_CONSOLE_PORT", self.port + 80))
        self.console_backend_port = int(env.get("CLUSTER_CONSOLE_BACKEND_PORT",
                                                self.port + 81))
        self.model = env.get("MODEL", str(ROOT / "models" / "triage.tar.gz"))
        self.nginx = env.get("NGINX", "/usr/sbin/nginx")
        self.max_body = env.get("CLUSTER_MAX_BODY", "64k")
        self.status_port = int(env.get("CLUSTER_STATUS_PORT", "5749"))
        self.rate_rest = env.get("CLUSTER_RATE_REST", "30r/m")
        self.burst_rest = int(env.get("CLUSTER_BURST_REST", "20"))
        self.rate_widget = env.get("CLUSTER_RATE_WIDGET", "10r/s")
        self.burst_widget = int(env.get("CLUSTER_BURST_WIDGET", "100"))
        self.rate_exempt = origins(env.get("CLUSTER_RATE_EXEMPT", "127.0.0.1"))
        env.setdefault("TRACKER_DB_URL", "postgresql://postgres@127.0.0.1:5432/triage_cluster")
        env.setdefault("LOCK_STORE_URL", "redis://127.0.0.1:6379/3")
        env.setdefault("LOCK_STORE_PREFIX", "triagecluster")
        env.setdefault("TICKET_LOCK_LIFETIME", "30")
        env.setdefault("REST_AUTH", "token")
        # The Rasa servers see clients through nginx: its X-Forwarded-For names them.
        env.setdefault("RATE_LIMIT_TRUSTED_PROXIES", "127.0.0.1")
        env.setdefault("CORS_ORIGINS",
                       f"http://localhost:{self.port},http://127.0.0.1:{self.port}")
        env = _with_project_defaults(env)
        url = env["TRACKER_DB_URL"]
        env["TRACKER_DB_DIALECT"] = url.split(":", 1)[0].split("+", 1)[0]
        env["TRACKER_DB_NAME"] = url.rsplit("/", 1)[-1].split("?", 1)[0]
        env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{self.action_lb_port}/webhook"
        env.update({"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
                    "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                    "PYTHONWARNINGS": env.get("PYTHONWARNINGS", "ignore")})
        self.env = env

    # --- names, files ------------------------------------------------------------------
    @property
    def services(self) -> list:
        return ([f"actions-{i + 1}" for i in range(len(self.action_ports))]
                + [f"rasa-{i + 1}" for i in range(len(self.rasa_ports))] + ["console-1"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rasa_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.rasa_ports[index]}"

    def pid_file(self, name: str) -> Path:
        return self.dir / "pids" / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.dir / "logs" / f"{name}.log"

    def pid(self, name: str):
        path = self.dir / "nginx.pid" if name == "nginx" else self.pid_file(name)
        try:
            pid = int(path.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    # --- secrets -------------------------------------------------------------------------
    def secret(self, name: str) -> str:
        """NAME from the environment, or the contents of NAME_FILE (as the servers read it)."""
        if self.env.get(name):
            return self.env[name]
        path = self.env.get(f"{name}_FILE")
        return Path(path).read_text().strip() if path else ""

    def _secrets(self) -> None:
        """Secrets come from the environment; a local run without them gets random ones."""
        missing = [k for k in SECRETS
                   if not self.env.get(k) and not self.env.get(f"{k}_FILE")]
        if not missing:
            return
        path = self.dir / "secrets.env"
        stored = {}
        if path.exists():
            for line in path.read_text().splitlines():
                key, _, value = line.partition("=")
                stored[key] = value
        for key in missing:
            if key not in stored:
                stored[key] = secrets.token_urlsafe(32)
            self.env[key] = stored[key]
        path.touch(mode=0o600)
        path.write_text("".join(f"{k}={v}\n" for k, v in stored.items()))
        os.chmod(path, 0o600)
        print(f"==> {', '.join(missing)} not set: using the local ones in {path}")

    # --- start ---------------------------------------------------------------------------
    def _create_database(self) -> None:
        import sqlalchemy

        url = sqlalchemy.engine.make_url(self.env["TRACKER_DB_URL"])
        if url.get_backend_name() != "postgresql":
            return
        admin = sqlalchemy.create_engine(url.set(database="postgres"),
                                         isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as connection:
            exists = connection.execute(sqlalchemy.text(
                "SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": url.database}).scalar()
            if not exists:
                connection.execute(sqlalchemy.text(f'CREATE DATABASE "{url.database}"'))
                print(f"==> created database {url.database}")
        admin.dispose()

    def _migrate(self) -> None:
        subprocess.run([str(VENV_BIN / "python"), "-m", "alembic", "upgrade", "head"],
                       cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL)

    def command(self, name: str) -> list:
        kind, number = name.rsplit("-", 1)
        index = int(number) - 1
        if kind == "actions":
            # rasa_sdk's server with /health (its database) and /metrics.
            return [str(VENV_BIN / "python"), "-m", "bot.operations.action_server",
                    "--actions", "actions", "--port", str(self.action_ports[index])]
        if kind == "console":
            return [str(VENV_BIN / "python"), "-m", "bot.console", "--host", "127.0.0.1",
                    "--port", str(self.console_backend_port)]
        # bot.channels.serve reads the API token (and JWT secret) from the environment.
        return [str(VENV_BIN / "python"), "-m", "bot.channels.serve", "--model", self.model,
                "--interface", "127.0.0.1", "--port", str(self.rasa_ports[index]),
                "--endpoints", str(ROOT / "cluster" / "endpoints.yml"),
                "--credentials", str(ROOT / "credentials.yml"),
                "--enable-api", "--cors", *origins(self.env["CORS_ORIGINS"])]

    def start_service(self, name: str) -> int:
        if self.pid(name):
            raise RuntimeError(f"{name} is already running (pid {self.pid(name)})")
        log = self.log_file(name).open("a")
        process = subprocess.Popen(self.command(name), cwd=ROOT, env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        self.pid_file(name).write_text(f"{process.pid}\n")
        return process.pid

    def health_url(self, name: str) -> str:
        kind, number = name.rsplit("-", 1)
        if kind == "actions":
            return f"http://127.0.0.1:{self.action_ports[int(number) - 1]}/health"
        if kind == "console":
            return f"http://127.0.0.1:{self.console_backend_port}/health"
        return f"http://127.0.0.1:{self.rasa_ports[int(number) - 1]}/status?token=" \
               + self.secret("RASA_API_TOKEN")

    def wait_healthy(self, names, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting:
            for name in list(waiting):
                if not self.pid(name):
                    tail = self.log_file(name).read_text()[-2000:]
                    raise RuntimeError(f"{name} exited during start-up; its log ends:\n{tail}")
                try:
                    with urllib.request.urlopen(self.health_url(name), timeout=3):
                        waiting.remove(name)
                except OSError:
                    pass
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f} s: {', '.join(waiting)}")
            if waiting:
                time.sleep(1)

    def render_nginx(self) -> Path:
        template = (ROOT / "cluster" / "nginx.conf.template").read_text()
        allowed = "\n".join(f'        "{o}" 1;' for o in origins(self.env["CORS_ORIGINS"])
                            if '"' not in o and "\\" not in o)
        servers = lambda ports, fail: "\n".join(  # noqa: E731
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout={fail};" for p in ports)
        user = ""
        if os.geteuid() == 0:
            import grp
            import pwd

            user = (f"user {pwd.getpwuid(os.geteuid()).pw_name} "
                    f"{grp.getgrgid(os.getegid()).gr_name};")
        text = (template.replace("@USER@", user).replace("@VAR@", str(self.dir))
                .replace("@PORT@", str(self.port))
                .replace("@CONSOLE_PORT@", str(self.console_port))
                .replace("@CONSOLE_BACKEND@", str(self.console_backend_port)).replace("@ACTION_PORT@", str(self.action_lb_port))
                .replace("@MAX_BODY@", self.max_body).replace("@ORIGINS@", allowed)
                .replace("@RASA_SERVERS@", servers(self.rasa_ports, "5s"))
                .replace("@ACTION_SERVERS@", servers(self.action_ports, "2s"))
                .replace("@STATUS_PORT@", str(self.status_port))
                .replace("@RATE_REST@", _nginx_rate(self.rate_rest))
                .replace("@BURST_REST@", str(self.burst_rest))
                .replace("@RATE_WIDGET@", _nginx_rate(self.rate_widget))
                .replace("@BURST_WIDGET@", str(self.burst_widget))
                .replace("@RATE_EXEMPT@", "\n".join(f"        {_network(a)} 1;"
                                                     for a in self.rate_exempt)))
        path = self.dir / "nginx.conf"
        path.write_text(text)
        return path

    def start_nginx(self) -> None:
        config = self.render_nginx()
        subprocess.run([self.nginx, "-t", "-q", "-c", str(config), "-p", str(self.dir)],
                       check=True)
        subprocess.run([self.nginx, "-c", str(config), "-p", str(self.dir)], check=True)

    def start(self) -> None:
        if not Path(self.model).exists():
            raise SystemExit(f"error: no trained model at {self.model} (run: make train)")
        running = [n for n in self.services + ["nginx"] if self.pid(n)]
        if running:
            raise SystemExit(f"error: already running: {', '.join(running)} "
                             f"(make cluster-stop first)")
        for sub in ("pids", "logs", "nginx"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self._secrets()
        print(f"==> tracker store {_safe(self.env['TRACKER_DB_URL'])}, lock store "
              f"{_safe(self.env['LOCK_STORE_URL'])} (prefix {self.env['LOCK_STORE_PREFIX']})")
        self._create_database()
        self._migrate()
        started = time.monotonic()
        try:
            for name in self.services:
                print(f"==> starting {name}")
                self.start_service(name)
            self.start_nginx()
            print(f"==> waiting for {len(self.services)} servers (about a minute on 2 cores)")
            self.wait_healthy(self.services)
        except BaseException:
            self.stop()
            raise
        print(f"==> cluster ready in {time.monotonic() - started:.0f} s: {self.url} "
              f"(REST {self.url}/webhooks/rest/webhook, socket.io {self.url}/socket.io); "
              f"staff console http://127.0.0.1:{self.console_port}/")

    # --- stop ----------------------------------------------------------------------------
    def stop_service(self, name: str, sig=signal.SIGTERM, timeout: float = 20) -> bool:
        pid = self.pid(name)
        if not pid:
            self.pid_file(name).unlink(missing_ok=True)
            return False
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.1)
        self.pid_file(name).unlink(missing_ok=True)
        return True

    def stop(self) -> None:
        pid = self.pid("nginx")
        if pid:
            os.kill(pid, signal.SIGQUIT)
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            print(f"==> stopped nginx (pid {pid})")
        for name in reversed(self.services):
            pid = self.pid(name)
            if self.stop_service(name):
                print(f"==> stopped {name} (pid {pid})")

    def status(self) -> int:
        down = 0
        for name in self.services + ["nginx"]:
            pid = self.pid(name)
            down += not pid
            print(f"{name:10} {'pid ' + str(pid) if pid else 'not running'}")
        return 1 if down else 0


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie of someone else's: gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _safe(url: str) -> str:
    """A URL without its password, for printing."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def main(argv) -> int:
    if len(argv) != 2 or argv[1] not in ("start", "stop", "status"):
        print(__doc__)
        return 2
    cluster = Cluster()
    if argv[1] == "start":
        cluster.start()
        return 0
    if argv[1] == "stop":
        cluster.stop()
        return 0
    return cluster.status()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
