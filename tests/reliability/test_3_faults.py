"""Faults: the action servers go away (one, then both) and come back; PostgreSQL restarts in
the middle of a load."""
import asyncio
import subprocess
import time
import uuid

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from conftest import EMERGENCY_NUMBER, POSTGRES_ADMIN_URL, log, rest_headers
from rel_client import MILDEST, disposition_of
from test_1_load import assert_intact, load_phase



def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


def send(cluster, sender, text):
    async def post():
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{cluster.url}/webhooks/rest/webhook",
                                    json={"sender": sender, "message": text},
                                    headers=rest_headers(cluster),
                                    timeout=aiohttp.ClientTimeout(total=120)) as response:
                assert response.status == 200, response.status
                return await response.json()
    return asyncio.run(post())


def test_action_servers_stop_and_return(cluster, figures):
    sender = f"actions-down-{uuid.uuid4().hex[:8]}"
    newcomer = f"newcomer-{uuid.uuid4().hex[:8]}"
    send(cluster, sender, "hello")
    first = send(cluster, sender, "I tweaked my back on the leg press")
    assert "fever" not in texts(first)  # the emergency signs first, in one question
    answers = list(MILDEST)

    log("stopping actions-1: the other action server takes over")
    figures["faults_injected"] += 1
    cluster.stop_service("actions-1")
    reply = send(cluster, sender, answers.pop(0))
    assert "fever" in texts(reply), texts(reply)  # the next question (same-day signs), as usual
    figures["faults_survived"] += 1

    log("stopping actions-2 as well: no action server at all")
    figures["faults_injected"] += 1
    cluster.stop_service("actions-2")
    down = send(cluster, sender, answers[0])
    log(f"reply while the action servers are down: {texts(down)[:160]!r}")
    assert "something went wrong" in texts(down).lower()
    assert EMERGENCY_NUMBER in texts(down)
    greeting = send(cluster, newcomer, "hello")  # a new conversation: session start fails
    assert EMERGENCY_NUMBER in texts(greeting), texts(greeting)
    symptom = send(cluster, newcomer, "my lower back hurts after leg day")
    assert "something went wrong" in texts(symptom).lower() and EMERGENCY_NUMBER in texts(symptom)

    log("starting both action servers again: the conversation goes on where it stopped")
    for name in ("actions-1", "actions-2"):
        cluster.start_service(name)
    cluster.wait_healthy(["actions-1", "actions-2"])
    time.sleep(2.5)  # nginx retries a server it marked down after fail_timeout (2 s)
    messages = []
    for answer in answers:
        messages = send(cluster, sender, answer)
        if disposition_of(messages):
            break
    assert disposition_of(messages) == "self_care", texts(messages)
    symptom = send(cluster, newcomer, "my lower back hurts after leg day")
    assert "numbness or tingling around your genitals" in texts(symptom), texts(symptom)
    figures["faults_survived"] += 1


def local_cluster(port: int):
    """(version, name) of the PostgreSQL cluster on this machine that listens on `port`, as
    pg_lsclusters lists it, or None (no such cluster, or no pg_lsclusters)."""
    try:
        listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True,
                                 text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2] == str(port) and fields[3].startswith("online"):
            return fields[0], fields[1]
    return None


def postmaster_start_time():
    """When the PostgreSQL server the tests use last started (it changes with a restart)."""
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, future=True, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sqlalchemy.text("SELECT pg_postmaster_start_time()")
                                      ).scalar_one()
    finally:
        engine.dispose()


def pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", PG_HOST, "-p", str(PG_PORT)]).returncode == 0


def restart_postgres(cluster_id) -> float:
    version, name = cluster_id
    start = time.monotonic()
    restart = subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name,
                              "restart"], capture_output=True, text=True, timeout=120)
    deadline = time.monotonic() + 120
    while not pg_ready():
        if time.monotonic() > deadline:
            # Last resort: start it (the machine's own start command), so nothing is left down.
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name,
                            "start"], check=False, timeout=120)
            if not pg_ready():
                raise RuntimeError("PostgreSQL did not come back after the restart")
        time.sleep(0.2)
    if restart.returncode != 0:
        raise RuntimeError(f"pg_ctlcluster {version} {name} restart failed "
                           f"({restart.returncode}): {restart.stderr.strip()[:300]}")
    return time.monotonic() - start


PG_URL = make_url(POSTGRES_ADMIN_URL)
PG_HOST, PG_PORT = PG_URL.host or "127.0.0.1", PG_URL.port or 5432
PG_CLUSTER = local_cluster(PG_PORT) if PG_HOST in ("127.0.0.1", "localhost", "::1") else None


@pytest.mark.skipif(PG_CLUSTER is None,
                    reason=f"needs the PostgreSQL on {PG_HOST}:{PG_PORT} to be a local cluster "
                           "that pg_ctlcluster manages")
def test_postgres_restarts_mid_load_and_the_servers_reconnect(cluster, tracker_engine, figures):
    # Enough people that the load outlasts the restart (2-3 s): with 30, after the speed-ups
    # of 2026-12-02, the last reply came before PostgreSQL was back.
    users = 60
    log(f"load with a fault: {users} people; PostgreSQL {PG_CLUSTER[0]}/{PG_CLUSTER[1]} "
        f"restarts a quarter of the way")
    started_before = postmaster_start_time()
    restarted = []

    async def restart_when_busy(stats):
        while stats.messages < users * 10 // 4:
            await asyncio.sleep(0.2)
        log(f"restarting PostgreSQL after {stats.messages} messages")
        figures["faults_injected"] += 1
        took = await asyncio.get_running_loop().run_in_executor(None, restart_postgres,
                                                                PG_CLUSTER)
        restarted.append(stats.messages)
        log(f"PostgreSQL accepts connections again after {took:.1f} s")

    stats, _, check, _ = load_phase(cluster, tracker_engine, figures, users, "postgres_restart",
                                    during=restart_when_busy)
    started_after = postmaster_start_time()
    # The fault really happened: a new server process, while people were still talking.
    assert started_after > started_before, (started_before, started_after)
    assert restarted and restarted[0] < stats.messages, (restarted, stats.messages)
    assert_intact(stats, check)
