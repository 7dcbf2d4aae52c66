"""Hostile input, thousands of cases (hypothesis), at the REST webhook and the socket.io channel
through nginx: never a 5xx, the servers stay up, and a conversation running alongside is not
disturbed."""
import asyncio
import json
import threading
import uuid

import aiohttp
import requests
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import log, rest_headers
from rel_client import SCRIPTS, Person, Stats

HOSTILE = [
    "", " ", "\x00", "\x1b[31mred\x1b[0m", "\r\n\r\nHTTP/1.1 200 OK", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "'; DROP TABLE events; --", "\" OR 1=1 --",
    "1; SELECT pg_sleep(10)", "{{7*7}}", "${jndi:ldap://x/a}", "{emergency_number}",
    "/inform{\"severity\": \"mild\"}", "/restart", "/session_start", "/nlu_fallback",
    "/inform{\"disposition\":\"self_care\"}", "/" + "a" * 300, "\ud7ff\ufeff\u202e\u200b",
    "💥" * 500, "my back " * 2000, "x" * 60_000, "[" * 5000, "%s%s%s%n",
]
scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
           | st.sampled_from(HOSTILE))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=5),
                           max_leaves=30)
texts = st.text(max_size=400) | st.sampled_from(HOSTILE) | st.binary(max_size=200).map(
    lambda b: b.decode("latin-1"))
senders = st.text(min_size=1, max_size=40) | st.sampled_from(HOSTILE) | st.uuids().map(str)


def nested(depth: int) -> bytes:
    return (b'{"a":' * depth) + b"1" + (b"}" * depth)


raw_bodies = (st.binary(max_size=3000)
              | json_values.map(lambda v: json.dumps(v).encode())
              | st.builds(lambda s, m, md: json.dumps({"sender": s, "message": m,
                                                       "metadata": md}).encode(),
                          json_values, json_values, json_values)
              | st.integers(1, 20_000).map(nested)
              | st.sampled_from([b"", b"null", b"[]", b"{}", b'{"sender": "a"}',
                                 b'{"message": "hi"}', b"\xff\xfe", b"x" * 200_000,
                                 b'{"sender": "a", "message": "hi"' + b" " * 10]))
content_types = st.sampled_from(["application/json", "text/plain", "application/x-www-form-"
                                 "urlencoded", "multipart/form-data", "", "application/json; "
                                 "charset=latin-1"])

COUNTS = {"rest": 0, "socketio": 0, "5xx": []}
FUZZ = settings(deadline=None, database=None, derandomize=False, print_blob=True,
                suppress_health_check=list(HealthCheck))


class Canary:
    """A person doing full triages over REST, in a thread, while the fuzzing goes on."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.stats = Stats()
        self.stop = threading.Event()
        self.finished = 0
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self):
        api = [self.cluster.rasa_url(i) for i in range(len(self.cluster.rasa_ports))]
        async with aiohttp.ClientSession() as session:
            while not self.stop.is_set():
                script = SCRIPTS[self.finished % len(SCRIPTS)]
                person = Person(session, self.cluster.url, api, self.cluster.env["RASA_API_TOKEN"],
                                self.stats, f"canary-{uuid.uuid4().hex[:8]}", script,
                                rest_token=self.cluster.env["REST_TOKEN"])
                conversation = await person.run(think_time=0.5)
                self.finished += conversation.done


def servers_up(cluster) -> bool:
    for i in range(len(cluster.rasa_ports)):
        try:
            r = requests.get(f"{cluster.rasa_url(i)}/status",
                             params={"token": cluster.env["RASA_API_TOKEN"]}, timeout=10)
            if r.status_code != 200:
                return False
        except requests.RequestException:
            return False
    return True


def test_hostile_input_never_breaks_a_server_or_another_conversation(cluster, figures):
    canary = Canary(cluster)
    canary.thread.start()
    http = requests.Session()
    http.headers.update(rest_headers(cluster))  # past authentication, to the body checks
    url = f"{cluster.url}/webhooks/rest/webhook"

    def post(data: bytes, content_type: str, name: str):
        headers = {"Content-Type": content_type} if content_type else {}
        response = http.post(url, data=data, headers=headers, timeout=120)
        COUNTS["rest"] += 1
        if response.status_code >= 500:
            COUNTS["5xx"].append(f"{name}: {response.status_code} for {data[:80]!r}")
        assert response.status_code < 500, (response.status_code, data[:200])

    @settings(FUZZ, max_examples=1500)
    @given(raw_bodies, content_types)
    def malformed_bodies(body, content_type):
        post(body, content_type, "body")

    @settings(FUZZ, max_examples=300)
    @given(senders, texts, json_values)
    def hostile_messages(sender, text, metadata):
        body = {"sender": sender, "message": text}
        if isinstance(metadata, dict):
            body["metadata"] = metadata
        post(json.dumps(body).encode(), "application/json", "message")

    log("fuzz: 1500 malformed REST bodies (binary, any JSON, deep nesting, huge, wrong types)")
    malformed_bodies()
    log(f"fuzz: 300 well-formed REST messages with hostile text, senders and metadata "
        f"({COUNTS['rest']} REST cases so far)")
    hostile_messages()
    log("fuzz: 600 socket.io events with hostile payloads")
    widget = asyncio.run(fuzz_socketio(cluster, 600))
    COUNTS["socketio"] += widget["cases"]
    COUNTS["5xx"] += [f"socket.io: HTTP {s}" for s in widget["5xx"]]

    up = servers_up(cluster)
    canary.stop.set()
    canary.thread.join(timeout=180)
    cases = COUNTS["rest"] + COUNTS["socketio"]
    figures["fuzz_cases"] += cases
    figures["errors"] += len(COUNTS["5xx"]) + len(canary.stats.errors) + (not up)
    figures["users"] += canary.finished
    figures["messages"] += canary.stats.messages
    figures["details"]["fuzz"] = {"rest_cases": COUNTS["rest"], "socketio_cases":
                                  COUNTS["socketio"], "5xx": COUNTS["5xx"][:5],
                                  "socketio_reconnects": widget["reconnects"],
                                  "socketio_413": widget["413"],
                                  "servers_up_after": up,
                                  "canary_conversations": canary.finished,
                                  "canary_errors": canary.stats.errors[:5]}
    log(f"fuzz: {figures['details']['fuzz']}")
    assert up, "a Rasa server stopped answering"
    assert not COUNTS["5xx"], COUNTS["5xx"][:5]
    assert not canary.stats.errors, canary.stats.errors[:5]
    assert canary.finished >= 1


async def fuzz_socketio(cluster, examples: int) -> dict:
    """Hostile socket.io events; then a real conversation on a fresh widget connection.

    A connection may be closed on the client's side when nginx refuses an oversized batch
    (413, more than CLUSTER_MAX_BODY): the fuzzer then connects again; those are counted.
    Every 5xx that nginx logged for /socket.io/ during the run is counted as an error.
    """
    events = st.tuples(
        st.sampled_from(["user_uttered", "session_request", "user_uttered", "bot_uttered",
                         "unknown_event"]),
        json_values | st.builds(lambda s, m, md: {"session_id": s, "message": m,
                                                  "metadata": md},
                                st.uuids().map(lambda u: u.hex) | st.text(max_size=40)
                                | json_values, texts | json_values, json_values))
    cases = [events.example() for _ in range(examples)]  # noqa: hypothesis in a plain loop
    access_log = cluster.dir / "logs" / "nginx-access.log"
    log_start = access_log.stat().st_size

    async def connect():
        client = socketio.AsyncClient(reconnection=False)
        # polling: the engine.io client of this venv cannot open websockets with aiohttp 3.9
        await client.connect(cluster.url, transports=["polling"])
        return client

    client = await connect()
    sent = reconnects = 0
    for name, payload in cases:
        if not client.connected:
            reconnects += 1
            client = await connect()
        try:
            await client.emit(name, payload)
        except socketio.exceptions.SocketIOError:
            pass
        sent += 1
        if sent % 25 == 0:
            await asyncio.sleep(0.5)  # let the server work through what it got
    await asyncio.sleep(2)
    if client.connected:
        await client.disconnect()

    # A real conversation on a new connection still works.
    client = await connect()
    replies = []
    confirmed = asyncio.Queue()
    client.on("bot_uttered", lambda data: replies.append(data))
    client.on("session_confirm", confirmed.put_nowait)
    await client.emit("session_request", {"session_id": uuid.uuid4().hex})
    session = await asyncio.wait_for(confirmed.get(), 60)  # minted by the server
    await client.emit("user_uttered", {"session_id": session, "message": "hello"})
    for _ in range(240):
        if any("automated guide" in (r.get("text") or "") for r in replies):
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError("no greeting on a widget connection after the fuzzing")
    await client.disconnect()
    with access_log.open() as handle:
        handle.seek(log_start)
        lines = [line for line in handle if "/socket.io/" in line]
    statuses = [int(line.split('" ', 1)[1].split()[0]) for line in lines]
    return {"cases": sent, "reconnects": reconnects,
            "5xx": [s for s in statuses if s >= 500], "413": statuses.count(413)}
