"""make soak: a steady crowd against a cluster for a long time; does anything creep?

    python scripts/soak.py            (SOAK_MINUTES, default 30; SOAK_USERS, default 20)

Starts a cluster of its own (cluster/control.py, as `make cluster` does, with its own
folder, ports, PostgreSQL database and Redis prefix, so a running `make cluster` is left
alone), then SOAK_USERS people talk to it through nginx for SOAK_MINUTES: each one
triage after another (the bench's conversations, each a new sender with a JWT of its own,
from a client address of its own), pausing 1 to 4 s between messages. Every 15 s it
samples each process's resident memory (both Rasa servers, both action servers, nginx's
master and workers).

Pass (exit 0) when, at the end:
- every process's memory is within 10 % of its value at the end of the warm-up (the first
  5 minutes; a third of the run when it is shorter than 15 minutes: SOAK_MINUTES=3 for a
  quick check gives 1 minute);
- no message failed (an HTTP error, a timeout, an empty reply, a wrong recommendation);
- the p95 of the last window (as long as the warm-up) is within 1.2x of the first window
  after the warm-up.
The last line printed is one JSON object with the figures. Not part of CI (it is long by
design). The cluster is stopped at the end, and its database dropped.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import jwt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "cluster"))

from control import Cluster  # noqa: E402
from scripts.bench.conversations import OURS, disposition_of  # noqa: E402

SAMPLE_EVERY_S = 15.0
# Seconds a person pauses between messages (reading, choosing): 1 to 4, about 0.35 messages a
# second each, under the cluster's per-address limit (30 a minute after a burst of 20).
THINK_S = (1.0, 4.0)
MEMORY_LIMIT = 1.10
P95_LIMIT = 1.2


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def processes(cluster) -> dict:
    found = {name: cluster.pid(name) for name in cluster.services + ["nginx"]}
    master = found.get("nginx")
    if master:
        children = Path(f"/proc/{master}/task/{master}/children")
        for i, pid in enumerate(children.read_text().split() if children.exists() else []):
            found[f"nginx-worker-{i + 1}"] = int(pid)
    return {name: pid for name, pid in found.items() if pid}


def p95(values) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)


class Soak:
    def __init__(self, cluster, minutes: float, users: int):
        self.cluster, self.minutes, self.users = cluster, minutes, users
        self.samples = []     # (seconds since start, latency)
        self.errors = []
        self.messages = 0
        self.conversations = 0
        self.memory = []      # (seconds since start, {name: MB})

    def token(self, sender: str) -> str:
        return jwt.encode({"sub": sender, "exp": int(time.time()) + 4 * 3600},
                          self.cluster.secret("REST_JWT_SECRET"))

    async def person(self, index: int, deadline: float, start: float) -> None:
        connector = aiohttp.TCPConnector(local_addr=(f"127.0.3.{10 + index}", 0))
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=60)) as http:
            turn = index
            while time.monotonic() < deadline:
                conversation = OURS[turn % len(OURS)]
                turn += 1
                sender = f"soak-{index}-{turn}-{uuid.uuid4().hex[:6]}"
                headers = {"Authorization": f"Bearer {self.token(sender)}"}
                reply = None
                for text in conversation.turns:
                    if time.monotonic() >= deadline:
                        return
                    sent = time.monotonic()
                    try:
                        async with http.post(f"{self.cluster.url}/webhooks/rest/webhook",
                                             json={"message": text}, headers=headers) as r:
                            body = await r.json(content_type=None) if r.status == 200 else None
                            status = r.status
                    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                        body, status = None, type(error).__name__
                    self.samples.append((sent - start, time.monotonic() - sent))
                    self.messages += 1
                    if not body:
                        self.errors.append(f"{conversation.name}: {status} for {text!r}")
                        break
                    reply = body
                    await asyncio.sleep(random.uniform(*THINK_S))
                else:
                    self.conversations += 1
                    if conversation.disposition and \
                            disposition_of(reply) != conversation.disposition:
                        self.errors.append(f"{conversation.name}: ended with "
                                           f"{disposition_of(reply)!r}")

    async def sampler(self, deadline: float, start: float) -> None:
        while True:
            names = processes(self.cluster)
            self.memory.append((time.monotonic() - start,
                                {n: round(rss_mb(p), 1) for n, p in names.items()}))
            minute = (time.monotonic() - start) / 60
            print(f"==> {minute:5.1f} min: {self.messages} messages, {len(self.errors)} errors, "
                  f"p95 {p95([l for _, l in self.samples[-400:]])} ms, memory MB "
                  f"{json.dumps(self.memory[-1][1])}", flush=True)
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(min(SAMPLE_EVERY_S, max(0.1, deadline - time.monotonic())))

    async def run(self) -> None:
        start = time.monotonic()
        deadline = start + 60 * self.minutes
        await asyncio.gather(self.sampler(deadline, start),
                             *(self.person(i, deadline, start) for i in range(self.users)))

    def report(self) -> dict:
        total = 60 * self.minutes
        warm = 300.0 if self.minutes >= 15 else total / 3
        first = [l for t, l in self.samples if warm <= t < 2 * warm]
        last = [l for t, l in self.samples if t >= total - warm]
        at_warm = min(self.memory, key=lambda s: abs(s[0] - warm))[1]
        at_end = self.memory[-1][1]
        memory = {name: {"warm_mb": at_warm[name], "end_mb": at_end.get(name, 0.0),
                         "ratio": round(at_end.get(name, 0.0) / at_warm[name], 3)}
                  for name in at_warm if at_warm[name]}
        start_p95, end_p95 = p95(first), p95(last)
        figures = {
            "minutes": self.minutes, "users": self.users, "messages": self.messages,
            "conversations": self.conversations, "errors": len(self.errors),
            "warm_up_s": round(warm), "p95_start_ms": start_p95, "p95_end_ms": end_p95,
            "p95_ratio": round(end_p95 / start_p95, 2) if start_p95 else None,
            "memory_ratio_max": max(m["ratio"] for m in memory.values()),
            "memory": memory}
        figures["ok"] = (figures["errors"] == 0
                         and figures["memory_ratio_max"] <= MEMORY_LIMIT
                         and figures["p95_ratio"] is not None
                         and figures["p95_ratio"] <= P95_LIMIT)
        return figures


def main() -> int:
    minutes = float(os.environ.get("SOAK_MINUTES", "30"))
    users = int(os.environ.get("SOAK_USERS", "20"))
    if minutes <= 0 or users <= 0 or users > 200:
        print("error: SOAK_MINUTES must be > 0 and SOAK_USERS 1 to 200", file=sys.stderr)
        return 2
    prefix = "soak" + uuid.uuid4().hex[:8]
    env = dict(os.environ)
    env.setdefault("CLUSTER_DIR", "var/soak/cluster")
    env.setdefault("CLUSTER_PORT", "5800")
    env.setdefault("CLUSTER_RASA_PORTS", "5801,5802")
    env.setdefault("CLUSTER_ACTION_PORTS", "5851,5852")
    env.setdefault("CLUSTER_ACTION_LB_PORT", "5850")
    env.setdefault("CLUSTER_STATUS_PORT", "5849")
    database = f"triage_soak_{uuid.uuid4().hex[:8]}"
    env["TRACKER_DB_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
    env["LOCK_STORE_PREFIX"] = prefix
    env.setdefault("REST_JWT_SECRET", secrets.token_urlsafe(32))
    env.setdefault("PSEUDONYM_SECRET", secrets.token_urlsafe(32))
    cluster = Cluster(env)
    cluster.stop()  # leftovers of an interrupted run, by their pid files
    print(f"==> soak: {users} people for {minutes:g} min against a cluster at {cluster.url}",
          flush=True)
    try:
        cluster.start()
        soak = Soak(cluster, minutes, users)
        asyncio.run(soak.run())
    finally:
        cluster.stop()
        _drop(database, env.get("LOCK_STORE_URL", "redis://127.0.0.1:6379/3"), prefix)
    figures = soak.report()
    for error in soak.errors[:5]:
        print(f"    error: {error}")
    print(json.dumps(figures))
    return 0 if figures["ok"] else 1


def _drop(database: str, redis_url: str, prefix: str) -> None:
    import redis
    import sqlalchemy

    admin = sqlalchemy.create_engine("postgresql://postgres@127.0.0.1:5432/postgres",
                                     isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": database})
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{database}"'))
    admin.dispose()
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


if __name__ == "__main__":
    sys.exit(main())
