"""Faults: the action servers go away (one, then both) and come back; PostgreSQL restarts in
the middle of a load."""
import asyncio
import subprocess
import time
import uuid

import aiohttp
import pytest

from conftest import EMERGENCY_NUMBER, log, rest_headers
from rel_client import MILDEST, disposition_of
from test_1_load import assert_intact, load_phase

PG_VERSION = "15"


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
    assert "BOTH legs" not in texts(first)
    answers = list(MILDEST)

    log("stopping actions-1: the other action server takes over")
    figures["faults_injected"] += 1
    cluster.stop_service("actions-1")
    reply = send(cluster, sender, answers.pop(0))
    assert "BOTH legs" in texts(reply), texts(reply)  # the next question, as usual
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


def pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0


def restart_postgres() -> float:
    start = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "restart"],
                   check=False, capture_output=True, timeout=120)
    deadline = time.monotonic() + 120
    while not pg_ready():
        if time.monotonic() > deadline:
            # Last resort: start it (the machine's own start command), so nothing is left down.
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main",
                            "start"], check=False, timeout=120)
            if not pg_ready():
                raise RuntimeError("PostgreSQL did not come back after the restart")
        time.sleep(0.2)
    return time.monotonic() - start


@pytest.mark.skipif(subprocess.run(["which", "pg_ctlcluster"], capture_output=True).returncode,
                    reason="needs a local PostgreSQL cluster managed by pg_ctlcluster")
def test_postgres_restarts_mid_load_and_the_servers_reconnect(cluster, tracker_engine, figures):
    users = 30
    log(f"load with a fault: {users} people; PostgreSQL restarts a third of the way")

    async def restart_when_busy(stats):
        while stats.messages < users * 10 // 3:
            await asyncio.sleep(0.2)
        log(f"restarting PostgreSQL after {stats.messages} messages")
        figures["faults_injected"] += 1
        took = await asyncio.get_running_loop().run_in_executor(None, restart_postgres)
        log(f"PostgreSQL accepts connections again after {took:.1f} s")

    stats, _, check, _ = load_phase(cluster, tracker_engine, figures, users, "postgres_restart",
                                    during=restart_when_busy)
    assert_intact(stats, check)
