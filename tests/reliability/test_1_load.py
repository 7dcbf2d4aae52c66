"""Load through the load balancer: 60 people at once, each a full triage; then again while
one Rasa server is killed. Every reply arrives, and PostgreSQL holds exactly what each
conversation produced."""
import asyncio
import signal
import time
import uuid

import aiohttp

from conftest import log
from rel_client import SCRIPTS, Person, Stats, check_against_database

USERS = 60


async def crowd(cluster, stats, users, tag, during=None):
    api = [cluster.rasa_url(i) for i in range(len(cluster.rasa_ports))]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        people = [Person(session, cluster.url, api, cluster.env["RASA_API_TOKEN"], stats,
                         f"{tag}-{i}-{uuid.uuid4().hex[:8]}", SCRIPTS[i % len(SCRIPTS)],
                         rest_token=cluster.env["REST_TOKEN"])
                  for i in range(users)]
        tasks = [asyncio.create_task(p.run()) for p in people]
        if during:
            await during(stats)
        return await asyncio.gather(*tasks)


def record(figures, stats, conversations, check, elapsed, phase):
    figures["users"] += len(conversations)
    figures["messages"] += stats.messages
    figures["errors"] += len(stats.errors) + len(check["problems"])
    figures["events_lost"] += check["events_lost"]
    figures["events_duplicated"] += check["events_duplicated"]
    figures["retried"] += stats.retried
    figures["details"][phase] = {
        "users": len(conversations), "messages": stats.messages,
        "throughput_msg_s": round(stats.messages / elapsed, 1), "p95_ms": stats.p95_ms(),
        "seconds": round(elapsed, 1), "retried": stats.retried,
        "replies_read_from_tracker": stats.recovered_from_tracker,
        "rows_checked": check["rows"], "errors": stats.errors[:5] + check["problems"][:5]}
    log(f"{phase}: {figures['details'][phase]}")


def load_phase(cluster, tracker_engine, figures, users, phase, during=None):
    """`users` people through the balancer (with `during` running alongside, e.g. a fault),
    then every conversation checked against PostgreSQL; the figures recorded under `phase`.
    A fault phase (one with `during`) counts as survived when nothing was lost or doubled."""
    stats = Stats()
    start = time.monotonic()
    conversations = asyncio.run(crowd(cluster, stats, users, phase, during=during))
    elapsed = time.monotonic() - start
    check = check_against_database(tracker_engine, conversations)
    record(figures, stats, conversations, check, elapsed, phase)
    intact = check["events_lost"] == 0 and check["events_duplicated"] == 0
    if during is not None:
        figures["faults_survived"] += int(not stats.errors and intact
                                          and all(c.done for c in conversations))
    return stats, conversations, check, elapsed


def assert_intact(stats, check):
    assert not stats.errors, stats.errors[:10]
    assert check["events_lost"] == 0 and check["events_duplicated"] == 0, check["problems"][:10]


def test_sixty_people_at_once_every_reply_arrives_and_every_event_is_stored(
        cluster, tracker_engine, figures):
    log(f"load: {USERS} simulated people, full triage each, through nginx")
    stats, conversations, check, elapsed = load_phase(cluster, tracker_engine, figures, USERS,
                                                      "load")
    figures["p95_ms"] = stats.p95_ms()
    figures["throughput_msg_s"] = round(stats.messages / elapsed, 1)
    assert all(c.done for c in conversations)
    assert_intact(stats, check)


def test_a_rasa_server_killed_mid_load_its_conversations_continue_on_the_other(
        cluster, tracker_engine, figures):
    log(f"load with a fault: {USERS} people; rasa-1 is killed (SIGKILL) a third of the way")
    expected_messages = USERS * 10

    async def kill_when_busy(stats):
        while stats.messages < expected_messages // 3:
            await asyncio.sleep(0.2)
        pid = cluster.pid("rasa-1")
        log(f"killing rasa-1 (pid {pid}) after {stats.messages} messages")
        figures["faults_injected"] += 1
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: cluster.stop_service("rasa-1", signal.SIGKILL))

    stats, _, check, _ = load_phase(cluster, tracker_engine, figures, USERS, "kill_rasa_server",
                                    during=kill_when_busy)
    log("restarting rasa-1 for the next tests")
    cluster.start_service("rasa-1")
    cluster.wait_healthy(["rasa-1"])
    assert_intact(stats, check)
