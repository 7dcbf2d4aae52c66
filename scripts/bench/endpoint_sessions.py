"""Rasa's call to an endpoint with a new session each time, against the kept session of
bot/rasa_patches/speedups.py (5.): ms per call to a local JSON webhook.

    .venv/bin/python -m scripts.bench.endpoint_sessions [--calls 300] [--url URL]

Without --url it starts an aiohttp webhook on 127.0.0.1 that answers {"events": []}; with
--url (e.g. a running action server's http://127.0.0.1:5055/health) it calls that instead.
Alternates the two ways in rounds of 50 calls, prints one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from typing import AsyncIterator, Awaitable, Callable


async def measure(url: str, calls: int) -> dict:
    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa_patches import speedups

    speedups.install()
    endpoint = EndpointConfig(url)
    method = "get" if url.endswith("/health") else "post"
    spent = {"rasa_new_session_ms": 0.0, "kept_session_ms": 0.0}
    for _ in range(max(1, calls // 50)):
        for name, call in (("rasa_new_session_ms", EndpointConfig._rasa_request),
                           ("kept_session_ms", EndpointConfig.request)):
            start = time.perf_counter()
            for _ in range(50):
                await call(endpoint, method, json={} if method == "post" else None)
            spent[name] += time.perf_counter() - start
    rounds = max(1, calls // 50) * 50
    return {"calls_each": rounds, **{k: round(v / rounds * 1000, 3) for k, v in spent.items()}}


@contextlib.asynccontextmanager
async def local_webhook(handler: Callable[..., Awaitable]) -> AsyncIterator[str]:
    """An aiohttp server on 127.0.0.1 whose POST /webhook is `handler`; yields its URL and
    stops afterwards (also used by tests/unit/test_rasa_speedups.py)."""
    from aiohttp import web

    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        await runner.cleanup()


async def with_local_webhook(calls: int) -> dict:
    from aiohttp import web

    async def handler(request):
        return web.json_response({"events": []})

    async with local_webhook(handler) as url:
        return await measure(url, calls)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--url", default=None)
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.url, args.calls) if args.url
                         else with_local_webhook(args.calls))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
