"""Operations on a real server: /health and /metrics on the Rasa server and the action
server, and the rate limits of the REST and socket.io channels.

One Rasa server of its own (limits low enough to reach in a few seconds, loopback's
127.0.0.1 exempt from the per-address limit as by default, other loopback addresses not),
with the session's action server and SQLite tracker store.
"""
import asyncio
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import aiohttp
import pytest
import socketio

from scripts.bench.conversations import MILDEST_ANSWERS
from tests.conftest import ROOT, WIDGET_ORIGIN, start_rasa, stop

SENDER_BURST = 20
ADDRESS_BURST = 8
TURNS_AT_ONCE = 2  # low, so that a handful of people at once make a line
FLOODER = "127.0.0.77"  # a client address that is not exempt (loopback's others are routed)


@pytest.fixture(scope="module")
def server(endpoints_file, logs_dir):
    process, url = start_rasa(endpoints_file, logs_dir / "rasa-operations.log", env={
        "RATE_LIMIT_SENDER": f"20/minute burst {SENDER_BURST}",
        "RATE_LIMIT_ADDRESS": f"30/minute burst {ADDRESS_BURST}",
        "RATE_LIMIT_EXEMPT": "127.0.0.1", "TURNS_AT_ONCE": str(TURNS_AT_ONCE)})
    try:
        yield url
    finally:
        stop(process)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def post(url, body):
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def sample(text, name, **labels):
    """The value of one series in Prometheus's text format (0.0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_health_says_each_part_answers_as_json(server, action_server):
    status, headers, body = get(f"{server}/health")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    report = json.loads(body)
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"model", "action_server", "tracker_store", "lock_store"}
    assert all(check["ok"] for check in report["checks"].values()), report
    assert report["checks"]["tracker_store"]["detail"] == "sqlite"
    assert report["checks"]["lock_store"]["detail"] == "in memory"

    base = action_server.rsplit("/", 1)[0]
    status, _, body = get(f"{base}/health")
    assert status == 200
    assert json.loads(body) == {**json.loads(body), "status": "ok"}
    assert json.loads(body)["checks"]["database"]["ok"]


def test_metrics_count_messages_latency_and_dispositions(server, action_server):
    before = get(f"{server}/metrics")[2]
    sender = f"ops-{uuid.uuid4().hex[:8]}"
    sent = 0
    disposition = None
    for text in ["hello", "I tweaked my back on the leg press", *MILDEST_ANSWERS]:
        status, _, replies = post(server, {"sender": sender, "message": text})
        assert status == 200
        sent += 1
        found = [r["custom"]["disposition"] for r in replies
                 if isinstance(r.get("custom"), dict) and "disposition" in r["custom"]]
        if found:
            disposition = found[-1]
            break
    assert disposition == "self_care"
    status, headers, after = get(f"{server}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert sample(after, "triage_messages_total", channel="rest") - \
        sample(before, "triage_messages_total", channel="rest") == sent
    assert sample(after, "triage_turn_seconds_count", channel="rest") - \
        sample(before, "triage_turn_seconds_count", channel="rest") == sent
    assert sample(after, "triage_dispositions_total", disposition="self_care") - \
        sample(before, "triage_dispositions_total", disposition="self_care") == 1
    assert sample(after, "process_resident_memory_bytes") > 100e6
    assert sender not in after  # no conversation id, no text in the metrics

    base = action_server.rsplit("/", 1)[0]
    actions = get(f"{base}/metrics")[2]
    assert sample(actions, "triage_action_calls_total", action="validate_triage_form",
                  status="200") >= 1
    assert sample(actions, "triage_action_seconds_count", action="validate_triage_form") >= 1


def test_turns_beyond_the_limit_wait_in_line_and_the_metrics_show_the_line(server, action_server):
    """TURNS_AT_ONCE reaches the real server: of 12 people writing at once, at most 2 turns
    are processed at any scrape, the others are seen waiting, and every one is answered."""
    people = 12

    async def run():
        seen = []
        async with aiohttp.ClientSession() as session:
            async def turn(n):
                async with session.post(f"{server}/webhooks/rest/webhook", json={
                        "sender": f"line-{n}-{uuid.uuid4().hex[:6]}",
                        "message": "I tweaked my lower back on the leg press"}) as answer:
                    return answer.status, await answer.json()

            async def scrape(until):
                while not until.done():
                    async with session.get(f"{server}/metrics") as answer:
                        text = await answer.text()
                    seen.append((sample(text, "triage_turns_in_progress"),
                                 sample(text, "triage_turns_waiting")))
                    await asyncio.sleep(0.005)

            turns = asyncio.ensure_future(asyncio.gather(*(turn(n) for n in range(people))))
            await scrape(turns)
            results = await turns
            async with session.get(f"{server}/metrics") as answer:
                last = await answer.text()
        return results, seen, last

    results, seen, last = asyncio.run(run())
    assert all(status == 200 and replies for status, replies in results)
    assert max(in_progress for in_progress, _ in seen) <= TURNS_AT_ONCE
    assert max(waiting for _, waiting in seen) >= 1, seen
    assert (sample(last, "triage_turns_in_progress"), sample(last, "triage_turns_waiting")) \
        == (0.0, 0.0)


def test_a_conversation_over_its_limit_gets_a_clear_429_and_others_go_on(server):
    flood = f"flood-{uuid.uuid4().hex[:8]}"
    before = get(f"{server}/metrics")[2]
    statuses = []
    for _ in range(SENDER_BURST + 6):
        status, headers, body = post(server, {"sender": flood, "message": "hi"})
        statuses.append(status)
        if status == 429:
            refused_headers, refused_body = headers, body
    assert statuses[:SENDER_BURST - 2] == [200] * (SENDER_BURST - 2)
    assert statuses[-3:] == [429] * 3
    assert int(refused_headers["Retry-After"]) >= 1
    assert refused_body["retry_after"] >= 1 and "wait" in refused_body["error"]
    status, _, replies = post(server, {"sender": f"calm-{uuid.uuid4().hex[:8]}",
                                       "message": "hi"})
    assert status == 200 and replies
    after = get(f"{server}/metrics")[2]
    assert sample(after, "triage_rate_limited_total", channel="rest", limit="sender") - \
        sample(before, "triage_rate_limited_total", channel="rest", limit="sender") == \
        statuses.count(429)


def test_one_address_with_many_conversations_is_limited_as_one(server):
    async def scenario():
        connector = aiohttp.TCPConnector(local_addr=(FLOODER, 0))
        async with aiohttp.ClientSession(connector=connector) as http:
            statuses = []
            for i in range(ADDRESS_BURST + 4):
                async with http.post(f"{server}/webhooks/rest/webhook",
                                     json={"sender": f"rot-{uuid.uuid4().hex[:8]}",
                                           "message": "/greet"}) as response:
                    statuses.append((response.status, await response.json()))
            return statuses

    statuses = asyncio.run(scenario())
    codes = [s for s, _ in statuses]
    assert codes[:ADDRESS_BURST] == [200] * ADDRESS_BURST and codes[-2:] == [429, 429]
    assert "address" in statuses[-1][1]["error"]
    # the exempt address (this host's own client) is not held back by it
    status, _, _ = post(server, {"sender": f"local-{uuid.uuid4().hex[:8]}", "message": "/greet"})
    assert status == 200


def test_a_widget_flooding_its_session_is_told_to_wait(server):
    async def scenario():
        sio = socketio.AsyncClient(reconnection=False)
        limited, replies = asyncio.Queue(), asyncio.Queue()
        confirmed = asyncio.get_running_loop().create_future()
        sio.on("rate_limited", limited.put_nowait)
        sio.on("bot_uttered", replies.put_nowait)
        sio.on("session_confirm", lambda h: confirmed.done() or confirmed.set_result(h))
        await sio.connect(server, headers={"Origin": WIDGET_ORIGIN}, transports=["polling"],
                          wait_timeout=20)
        await sio.emit("session_request", {"session_id": None})
        handle = await asyncio.wait_for(confirmed, 30)
        for _ in range(SENDER_BURST + 5):
            await sio.emit("user_uttered", {"message": "/greet", "session_id": handle})
            # one event per polling request (python-engineio refuses more than 16 in one)
            await asyncio.sleep(0.05)
        notice = await asyncio.wait_for(limited.get(), 120)
        await sio.disconnect()
        return notice

    notice = asyncio.run(scenario())
    assert notice["limit"] == "sender" and notice["retry_after"] >= 1


def test_a_bad_rate_limit_setting_stops_the_server_at_start_with_the_reason(tmp_path):
    from tests.conftest import server_env

    result = subprocess.run(
        [sys.executable, "-m", "bot.channels.serve", "--model", "none"], cwd=ROOT,
        env=server_env(RATE_LIMIT_SENDER="lots"), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "RATE_LIMIT_SENDER='lots'" in result.stderr and "burst" in result.stderr


@pytest.fixture(scope="module")
def widget_page(server, logs_dir):
    from tests.conftest import WIDGET_PORT, server_env, wait_for

    log = logs_dir / "widget-operations.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.web", "--port", str(WIDGET_PORT), "--socket-url", server],
        cwd=ROOT, env=server_env(), stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"{WIDGET_ORIGIN}/health", process, log, timeout=30)
        yield WIDGET_ORIGIN
    finally:
        stop(process)


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="chromium missing")
def test_the_widget_says_plainly_to_wait_and_gives_the_emergency_number(widget_page):
    from playwright.sync_api import sync_playwright

    from tests.conftest import EMERGENCY_NUMBER
    from tests.integration.test_widget import BOT_MESSAGE, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(widget_page)
            page.wait_for_selector(BOT_MESSAGE, timeout=60_000)
            box = page.locator(".rw-new-message")
            for _ in range(SENDER_BURST + 8):
                box.fill("hi")
                box.press("Enter")
            notice = page.locator("#triage-rate-limited")
            notice.wait_for(state="visible", timeout=60_000)
            text = notice.inner_text()
            assert "wait" in text and "send it again" in text
            assert f"call {EMERGENCY_NUMBER}" in text
            assert notice.get_attribute("role") == "status"
            assert not errors, errors
        finally:
            browser.close()
