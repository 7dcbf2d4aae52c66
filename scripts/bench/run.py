"""`make bench`: our bot and Rasa's stock demo bot, measured side by side in one run.

    .venv/bin/python -m scripts.bench [--duration 12] [--tracker sqlite|postgresql]
                                      [--config FILE] [--endpoints FILE] [--skip-train ...]

Both bots are trained from scratch with an empty cache, retrained after a one-line NLU change,
served on free ports and loaded by the same simulated users (1, 8, 32 at a time; each level
measured in ABBA order, ours-stock-stock-ours, so a drift in the machine's load hits both the
same). Then the in-process cost of one message, and the quality of both on their test sets.
Everything runs in a temporary folder; results go to results/bench/. The last line printed is
one JSON object with the ratios ours/stock.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

from scripts.bench import load, report
from scripts.bench.conversations import OURS, STOCK
from scripts.bench.servers import Server, free_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
RASA = str(VENV_BIN / "rasa")
PY = sys.executable
USERS = (1, 8, 32)
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL",
                                    "postgresql://postgres@127.0.0.1:5432/postgres")
STEPS = 9


def say(text: str) -> None:
    print(text, flush=True)


def step(number: int, text: str) -> None:
    say(f"==> [{number}/{STEPS}] {text}")


class CommandFailed(RuntimeError):
    pass


def run_timed(command: List[str], cwd: Path, env: Dict[str, str], log: Path) -> dict:
    """Run a command to the end: wall and CPU seconds, and the peak memory of its largest
    process (ru_maxrss from wait4)."""
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise CommandFailed(f"`{' '.join(command)}` failed (exit {process.returncode}) in {cwd}; "
                            f"end of {log}:\n{log.read_text()[-3000:]}")
    return {"wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def command_line() -> str:
    """How this run was started, for the results page: `make bench` when it was that."""
    argv = sys.argv[1:]
    if not argv or os.environ.get("MAKELEVEL"):
        return "make bench" + (f" BENCH_ARGS=\"{' '.join(argv)}\"" if argv else "")
    return " ".join([".venv/bin/python -m scripts.bench", *argv])


def base_env(**extra) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
                "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "PYTHONWARNINGS": "ignore", "EMERGENCY_NUMBER": "112",
                "PSEUDONYM_SECRET": "bench-secret-not-for-production"})
    env.update(extra)
    return env


def project_env(**settings) -> Dict[str, str]:
    """The servers' environment as `make run` gives it: scripts/env.sh's defaults for every
    setting not given here (it only fills in what is unset)."""
    env = base_env(**settings)
    dump = subprocess.run(["bash", "-c", "source scripts/env.sh >/dev/null && env -0"], cwd=ROOT,
                          env=env, capture_output=True, check=True).stdout
    sourced = dict(item.split("=", 1) for item in dump.decode().split("\0") if "=" in item)
    sourced.update(settings)
    return sourced


def add_nlu_line(nlu_file: Path, intent: str, text: str) -> None:
    """Add one training example to `intent` (a one-line change of the NLU data)."""
    lines = nlu_file.read_text().splitlines(keepends=True)
    for index, line in enumerate(lines):
        if re.match(rf"\s*- intent: {re.escape(intent)}\s*$", line):
            for j in range(index + 1, len(lines)):
                if lines[j].strip().startswith("- ") and j > index + 1:
                    indent = lines[j][:len(lines[j]) - len(lines[j].lstrip())]
                    lines.insert(j, f"{indent}- {text}\n")
                    nlu_file.write_text("".join(lines))
                    return
    raise ValueError(f"no examples of intent {intent!r} in {nlu_file}")


def find_intent_file(data: Path, intent: str) -> Path:
    for path in sorted(data.rglob("*.yml")):
        if re.search(rf"^\s*- intent: {re.escape(intent)}\s*$", path.read_text(), re.M):
            return path
    raise FileNotFoundError(f"no NLU file with intent {intent!r} under {data}")


def migrate(url: str) -> None:
    """The project's Alembic migrations (triage records), as tests/conftest.py applies them."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def dir_mb(path: Path) -> float:
    if path.is_file():
        return round(path.stat().st_size / 2**20, 1)
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory_gb = round(kb / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    import rasa

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory_gb,
            "os": platform.platform(), "python": platform.python_version(),
            "rasa": rasa.__version__, "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="triage-bench-", dir=args.tmp))
        self.logs = self.work / "logs"
        self.logs.mkdir()
        self.ours = self.work / "ours"
        self.stock = self.work / "stock"
        self.servers: List[Server] = []
        self.postgres_db: Optional[str] = None
        self.result: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                             "machine": machine(), "command": command_line(),
                             "args": {k: v for k, v in vars(args).items()}}
        self.our_model: Optional[Path] = None
        self.stock_model: Optional[Path] = None

    # ------------------------------------------------------------------ training
    def prepare(self) -> None:
        self.ours.mkdir()
        for name in ("domain.yml", "credentials.yml"):
            shutil.copy(ROOT / name, self.ours / name)
        shutil.copy(self.args.config or ROOT / "config.yml", self.ours / "config.yml")
        shutil.copy(self.args.endpoints or ROOT / "endpoints.yml", self.ours / "endpoints.yml")
        shutil.copytree(ROOT / "data", self.ours / "data")
        self.stock.mkdir()

    def train_ours(self) -> None:
        env = base_env(RASA_CACHE_DIRECTORY=str(self.work / "ours-cache"))
        if self.args.our_model:
            self.our_model = Path(self.args.our_model).resolve()
            # the model names its spaCy pipeline by a relative path: serve it from the project
            shutil.copytree(ROOT / "build", self.ours / "build")
            self.result["train"] = {"ours": {"skipped": True}}
            return
        build = run_timed([PY, "-m", "bot.language.build", "--patterns", "data/patterns",
                           "--out", "build/spacy_model"], self.ours, env,
                          self.logs / "ours-build-nlp.log")
        say(f"    spaCy pipeline built in {build['wall_s']} s")
        # what `make train` runs (bot/staff/retrain.py): no model yet, so a full training
        train = run_timed([PY, "-m", "bot.staff.retrain", "--model", "models/triage.tar.gz"],
                          self.ours, env, self.logs / "ours-train.log")
        self.our_model = self.ours / "models" / "triage.tar.gz"
        total = round(build["wall_s"] + train["wall_s"], 1)
        say(f"    rasa train {train['wall_s']} s; from scratch in all {total} s")
        self.result["train"] = {"ours": {"scratch_s": total, "build_nlp_s": build["wall_s"],
                                         "rasa_train_s": train["wall_s"],
                                         "cpu_s": round(build["cpu_s"] + train["cpu_s"], 1),
                                         "peak_rss_mb": max(build["peak_rss_mb"],
                                                            train["peak_rss_mb"])}}

    def train_stock(self) -> None:
        env = base_env(RASA_CACHE_DIRECTORY=str(self.work / "stock-cache"))
        if self.args.stock_dir:
            shutil.rmtree(self.stock)
            shutil.copytree(self.args.stock_dir, self.stock)
            self.stock_model = max((self.stock / "models").glob("*.tar.gz"),
                                   key=lambda p: p.stat().st_mtime)
            self.result["train"]["stock"] = {"skipped": True}
            return
        # rasa init --no-prompt writes the demo project and trains it (scaffolding: < 1 s).
        train = run_timed([RASA, "init", "--no-prompt", "--init-dir", str(self.stock)],
                          self.stock, env, self.logs / "stock-init-train.log")
        self.stock_model = max((self.stock / "models").glob("*.tar.gz"),
                               key=lambda p: p.stat().st_mtime)
        actions = (self.stock / "actions" / "actions.py").read_text()
        self.result["stock_actions_empty"] = not any(
            line.strip() and not line.lstrip().startswith("#") for line in actions.splitlines())
        say(f"    rasa init --no-prompt (scaffold + train) {train['wall_s']} s")
        self.result["train"]["stock"] = {"scratch_s": train["wall_s"], "cpu_s": train["cpu_s"],
                                         "peak_rss_mb": train["peak_rss_mb"]}

    def retrain(self) -> None:
        if self.args.our_model or self.args.stock_dir:
            return
        line = f"hello there, friend {uuid.uuid4().hex[:6]}"
        # ours: one line more in data/nlu, the same cache as the training from scratch
        env = base_env(RASA_CACHE_DIRECTORY=str(self.work / "ours-cache"))
        add_nlu_line(find_intent_file(self.ours / "data", "greet"), "greet", line)
        # what `make train` runs: it chooses (here every NLU component retrains, the policies
        # come from the cache)
        ours = run_timed([PY, "-m", "bot.staff.retrain", "--model",
                          "models/triage-retrained.tar.gz", "--previous", "models/triage.tar.gz"],
                         self.ours, env, self.logs / "ours-retrain.log")
        say(f"    ours retrained in {ours['wall_s']} s")
        env = base_env(RASA_CACHE_DIRECTORY=str(self.work / "stock-cache"))
        add_nlu_line(self.stock / "data" / "nlu.yml", "greet", line)
        stock = run_timed([RASA, "train", "--fixed-model-name", "stock-retrained"], self.stock,
                          env, self.logs / "stock-retrain.log")
        say(f"    stock retrained in {stock['wall_s']} s")
        self.result["train"]["ours"]["retrain_one_nlu_line_s"] = ours["wall_s"]
        self.result["train"]["stock"]["retrain_one_nlu_line_s"] = stock["wall_s"]

    # ------------------------------------------------------------------ serving
    def tracker_url(self) -> str:
        if self.args.tracker == "postgresql":
            import sqlalchemy

            name = f"triage_bench_{uuid.uuid4().hex[:10]}"
            admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT",
                                             future=True)
            with admin.connect() as connection:
                connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            self.postgres_db = name
            return admin.url.set(database=name).render_as_string(hide_password=False)
        return f"sqlite:///{self.work / 'tracker.db'}"

    def start_servers(self) -> None:
        url = self.tracker_url()
        migrate(url)
        dialect = url.split(":")[0].split("+")[0]
        self.result["tracker_store"] = (
            "SQL, fresh SQLite file" if dialect == "sqlite" else "SQL, fresh PostgreSQL database")
        action_port, ours_port, stock_port = free_port(), free_port(), free_port()
        env = project_env(TRACKER_DB_URL=url, RECORDS_DB_URL=url, TRACKER_DB_DIALECT=dialect,
                       TRACKER_DB_NAME=url.rsplit("/", 1)[-1], ACTION_PORT=str(action_port),
                       RASA_PORT=str(ours_port),
                       ACTION_ENDPOINT_URL=f"http://127.0.0.1:{action_port}/webhook")
        self.our_env = env
        rasa_env = dict(env)
        if self.args.server_pythonpath:  # a tuning experiment: code loaded by our Rasa server
            rasa_env["PYTHONPATH"] = f"{self.args.server_pythonpath}:{env['PYTHONPATH']}"
            self.result["server_pythonpath"] = self.args.server_pythonpath
        self.rasa_env = rasa_env
        actions = Server("our action server",
                         [PY, "-m", "rasa_sdk", "--actions", "actions", "--port",
                          str(action_port)], ROOT, env,
                         f"http://127.0.0.1:{action_port}/health", self.logs / "ours-actions.log")
        ours = Server("our Rasa server",
                      # the project's launcher, as make run and the cluster start it:
                      # Rasa's `run` with the turn limit, /metrics counting every turn and
                      # the channels' rate limits (bot.channels.serve)
                      [PY, "-m", "bot.channels.serve", "--model", str(self.our_model),
                       "--port", str(ours_port),
                       "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
                      self.ours, rasa_env, f"http://127.0.0.1:{ours_port}/",
                      self.logs / "ours-rasa.log")
        stock = Server("stock Rasa server",
                       [RASA, "run", "--model", str(self.stock_model), "--port", str(stock_port)],
                       self.stock, base_env(), f"http://127.0.0.1:{stock_port}/",
                       self.logs / "stock-rasa.log")
        self.actions, self.ours_server, self.stock_server = actions, ours, stock
        for server in (actions, ours, stock):
            self.servers.append(server)
            seconds = server.start()
            say(f"    {server.name} answered after {seconds:.1f} s")
        self.ours_url = f"http://127.0.0.1:{ours_port}"
        self.stock_url = f"http://127.0.0.1:{stock_port}"

    def load(self) -> None:
        duration = self.args.duration
        bots = {"ours": (self.ours_url, OURS, [self.ours_server, self.actions]),
                "stock": (self.stock_url, STOCK, [self.stock_server])}
        for name, (url, conversations, _) in bots.items():
            warm = asyncio.run(load.warm_up(url, conversations))
            if warm.errors:
                raise RuntimeError(f"{name} bot fails its warm-up conversations: "
                                   f"{warm.error_samples}")
        phases: Dict[str, Dict[int, list]] = {"ours": {}, "stock": {}}
        cpu: Dict[str, Dict[int, Dict[str, float]]] = {"ours": {}, "stock": {}}
        for users in USERS:
            for name in ("ours", "stock", "stock", "ours"):  # ABBA
                url, conversations, servers = bots[name]
                before = {s.name: s.cpu_s() for s in servers}
                phase = asyncio.run(load.run_phase(url, conversations, users, duration / 2, name))
                spent = cpu[name].setdefault(users, {})
                for s in servers:
                    spent[s.name] = spent.get(s.name, 0.0) + s.cpu_s() - before[s.name]
                phases[name].setdefault(users, []).append(phase)
            for name in ("ours", "stock"):
                summary = load.summarize(phases[name][users])
                messages = max(summary["messages"], 1)
                summary["server_cpu_ms_per_message"] = round(
                    1000 * sum(cpu[name][users].values()) / messages, 1)
                summary["cpu_ms_per_message_by_server"] = {
                    server: round(1000 * seconds / messages, 1)
                    for server, seconds in cpu[name][users].items()}
                self.result.setdefault("latency", {}).setdefault(name, {})[str(users)] = summary
                say(f"    {name:5} {users:2} users: p50 {summary['p50_ms']:7.1f} ms  "
                    f"p95 {summary['p95_ms']:7.1f} ms  p99 {summary['p99_ms']:7.1f} ms  "
                    f"{summary['throughput_msg_s']:6.1f} msg/s  errors {summary['errors']}"
                    + (f"  wrong outcomes {summary['wrong_outcomes']}"
                       if summary["wrong_outcomes"] else ""))

    def inprocess(self) -> None:
        """Both bots' messages through Rasa's message processor in-process: where time goes."""
        runs = (("ours", self.our_model, ["--endpoints", "endpoints.yml"], self.ours,
                 self.rasa_env),
                ("stock", self.stock_model, ["--bot", "stock"], self.stock, base_env()))
        for name, model, extra, cwd, env in runs:
            log = self.logs / f"{name}-inprocess.log"
            run_timed([PY, "-m", "scripts.bench.inprocess", "--model", str(model),
                       "--rounds", str(self.args.rounds), *extra], cwd, env, log)
            lines = [l for l in log.read_text().splitlines() if l.startswith("{")]
            measured = self.result[f"inprocess_{name}"] = json.loads(lines[-1])
            say(f"    {name:5} {measured['total_ms_per_message']} ms a message: "
                + ", ".join(f"{k} {v}" for k, v in measured["stages_ms"].items()))

    def record_costs(self) -> None:
        memory = {"ours": {"rasa_server_peak_rss_mb": self.ours_server.peak_rss_mb(),
                           "action_server_peak_rss_mb": self.actions.peak_rss_mb()},
                  "stock": {"rasa_server_peak_rss_mb": self.stock_server.peak_rss_mb()}}
        self.result["memory"] = memory
        self.result["start_s"] = {
            "ours": {"rasa_server": round(self.ours_server.start_s, 1),
                     "action_server": round(self.actions.start_s, 1)},
            "stock": {"rasa_server": round(self.stock_server.start_s, 1)}}
        self.result["model_mb"] = {"ours": dir_mb(self.our_model),
                                   "stock": dir_mb(self.stock_model)}

    # ------------------------------------------------------------------ quality
    def quality(self) -> None:
        q = self.work / "quality"
        ours_endpoints = self.ours / "endpoints.yml"
        jobs = {
            "ours_nlu": ([RASA, "test", "nlu", "--nlu", str(ROOT / "tests/nlu/test_nlu.yml"),
                          "--model", str(self.our_model), "--out", str(q / "ours-nlu"),
                          "--successes", "--no-plot"], self.ours, self.our_env),
            "ours_core": ([RASA, "test", "core", "--stories", str(ROOT / "tests/stories"),
                           "--model", str(self.our_model), "--endpoints", str(ours_endpoints),
                           "--out", str(q / "ours-stories"), "--no-plot"], self.ours, self.our_env),
            "stock": ([RASA, "test", "--model", str(self.stock_model), "--out",
                       str(q / "stock"), "--no-plot"], self.stock, base_env()),
        }

        def run(name):
            command, cwd, env = jobs[name]
            return name, run_timed(command, cwd, env, self.logs / f"quality-{name}.log")

        with ThreadPoolExecutor(max_workers=2) as pool:  # two cores
            for name, timing in pool.map(run, jobs):
                say(f"    {name} done in {timing['wall_s']} s")

        from bot.staff.nlu_quality import figures

        nlu = figures(q / "ours-nlu")
        quality = {"ours": {
            "nlu_test_set": "tests/nlu/test_nlu.yml (held out)",
            "intent_macro_f1": round(nlu["intent_macro_f1"], 3),
            "intent_accuracy": round(nlu.get("intent_accuracy", float("nan")), 3),
            "entity_f1": round(nlu["entity_f1"], 3),
            "red_flag_recall": round(nlu["red_flag_recall"], 3),
            **conversations(q / "ours-stories")}}
        stock_intents = json.loads((q / "stock" / "intent_report.json").read_text())
        quality["stock"] = {
            "nlu_test_set": "data/nlu.yml (its training data: it has no held-out set)",
            "intent_macro_f1": round(stock_intents["macro avg"]["f1-score"], 3),
            "intent_accuracy": round(stock_intents["accuracy"], 3),
            **conversations(q / "stock")}
        self.result["quality"] = quality
        for name, figures_ in quality.items():
            say(f"    {name}: " + ", ".join(f"{k} {v}" for k, v in figures_.items()
                                            if not k.endswith("_set")))

    # ------------------------------------------------------------------ all
    def stop_all(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        if self.postgres_db:
            import sqlalchemy

            admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT",
                                             future=True)
            with admin.connect() as connection:
                connection.execute(sqlalchemy.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                    {"n": self.postgres_db})
                connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{self.postgres_db}"'))
            admin.dispose()
            self.postgres_db = None

    def run(self) -> dict:
        began = time.perf_counter()
        try:
            step(1, f"preparing {self.work} (a copy of config, domain and data; the stock bot)")
            self.prepare()
            step(2, "training our bot from scratch (spaCy pipeline + rasa train, empty cache)")
            self.train_ours()
            step(3, "training the stock bot from scratch (rasa init --no-prompt, empty cache)")
            self.train_stock()
            step(4, "retraining both after a one-line NLU change (same caches)")
            self.retrain()
            step(5, "starting the servers: our action server, our Rasa server, the stock one")
            self.start_servers()
            step(6, f"load over REST: {', '.join(map(str, USERS))} users, "
                    f"{self.args.duration:g} s per bot and level, ABBA order")
            self.load()
            self.record_costs()
            for server in (self.ours_server, self.stock_server):
                server.stop()
            step(7, "in-process cost of one message (both bots, no HTTP in front)")
            self.inprocess()
            step(8, "quality: held-out NLU set and test conversations (ours), rasa test (stock)")
            if self.args.skip_quality:
                say("    skipped (--skip-quality)")
            else:
                self.quality()
        finally:
            self.stop_all()
        self.result["bench_wall_s"] = round(time.perf_counter() - began, 1)
        step(9, "writing results/bench/ (JSON, table, plot)")
        return self.result


def conversations(folder: Path) -> dict:
    story = json.loads((folder / "story_report.json").read_text())["conversation_accuracy"]
    return {"conversations_passed": story["correct"], "conversations_total": story["total"],
            "conversation_pass_rate": round(story["accuracy"], 3)}


def main(argv=None) -> int:
    import warnings

    warnings.simplefilter("ignore")  # libraries' deprecation notices at import say nothing here
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=float(os.environ.get(
        "BENCH_DURATION", 16)), help="seconds of load per bot and level (split in two halves)")
    parser.add_argument("--tracker", choices=("sqlite", "postgresql"),
                        default=os.environ.get("BENCH_TRACKER", "sqlite"))
    parser.add_argument("--config", help="our bot's config (default: config.yml)")
    parser.add_argument("--endpoints", help="our bot's endpoints (default: endpoints.yml)")
    parser.add_argument("--server-pythonpath",
                        help="tuning: a folder put first on our Rasa server's PYTHONPATH "
                             "(e.g. with a sitecustomize.py)")
    parser.add_argument("--our-model", help="skip our training: serve this model")
    parser.add_argument("--stock-dir", help="skip the stock training: a `rasa init` folder")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--rounds", type=int, default=2,
                        help="in-process: times each conversation is run")
    parser.add_argument("--out", default=str(ROOT / "results" / "bench"))
    parser.add_argument("--tmp", default=None, help="where the temporary folder goes")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    bench = Bench(args)
    try:
        result = bench.run()
    except (CommandFailed, RuntimeError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        print(f"(logs kept in {bench.logs})", file=sys.stderr)
        return 1
    out = Path(args.out)
    written = report.write(result, out)
    for path in written:
        say(f"    {path}")
    if not args.keep:
        shutil.rmtree(bench.work, ignore_errors=True)
    else:
        say(f"    work folder kept: {bench.work}")
    say(json.dumps(report.headline(result)))
    return 0
