"""socket.io through nginx: long-polling clients (which need sticky sessions) from several
client addresses, spread over both Rasa servers, each gets its own replies."""
import asyncio
import re
import uuid

import aiohttp
import socketio

from conftest import EMERGENCY_NUMBER, log

# Enough client addresses that nginx's consistent hash (its ring follows the servers' random
# ports) puts some on each server: with 8, one run of 2026-12-02 put all on one.
CLIENTS = 16


async def widget_conversation(url: str, address: str) -> list:
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        client = socketio.AsyncClient(http_session=http, reconnection=False)
        replies: asyncio.Queue = asyncio.Queue()
        confirmed: asyncio.Queue = asyncio.Queue()
        client.on("bot_uttered", lambda data: replies.put_nowait(data))
        client.on("session_confirm", lambda data: confirmed.put_nowait(data))
        await client.connect(url, transports=["polling"], socketio_path="socket.io")
        # The server mints the session (a handle: id and proof), whatever the client asks.
        await client.emit("session_request", {"session_id": uuid.uuid4().hex})
        session = await asyncio.wait_for(confirmed.get(), 30)
        got = []
        for text in ("hello", "my lower back hurts after leg day"):
            await client.emit("user_uttered", {"session_id": session, "message": text})
            got.append(await asyncio.wait_for(replies.get(), 60))
            while await _more(replies, got):
                pass
        await client.disconnect()
        return got


async def _more(queue, got, wait=1.5) -> bool:
    try:
        got.append(await asyncio.wait_for(queue.get(), wait))
        return True
    except asyncio.TimeoutError:
        return False


def test_polling_widgets_stick_to_their_server_and_get_their_replies(cluster, figures):
    log(f"socket.io: {CLIENTS} long-polling widgets from {CLIENTS} client addresses")
    access_log = cluster.dir / "logs" / "nginx-access.log"
    before = access_log.stat().st_size

    async def everyone():
        return await asyncio.gather(*(widget_conversation(cluster.url, f"127.0.0.{10 + i}")
                                      for i in range(CLIENTS)), return_exceptions=True)

    results = asyncio.run(everyone())
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    for replies in (r for r in results if not isinstance(r, BaseException)):
        text = " ".join(r.get("text", "") for r in replies)
        if EMERGENCY_NUMBER not in text or "genitals" not in text:
            errors.append(f"unexpected replies: {text[:120]!r}")
    with access_log.open() as handle:
        handle.seek(before)
        upstreams = set(re.findall(r'"GET /socket\.io/" \d+ .* upstream=(\S+)', handle.read()))
    figures["users"] += CLIENTS
    figures["messages"] += 2 * CLIENTS
    figures["errors"] += len(errors)
    figures["details"]["socketio_sticky"] = {"clients": CLIENTS, "servers_used": len(upstreams),
                                             "errors": errors[:5]}
    log(f"socket.io: servers used {sorted(upstreams)}, errors {errors[:3]}")
    assert not errors, errors
    assert len(upstreams) == 2, upstreams  # both servers took some of the widgets
