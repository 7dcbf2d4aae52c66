"""A client that sends as fast as it can, for the flood phase (test_7_flood.py).

    python tests/reliability/flooder.py URL --address 127.0.2.1 --seconds 60
        (--sender ID --jwt TOKEN | --rotate --token REST_TOKEN) [--connections 2]

Runs in its own process (as an abuser's client would, not in the event loop of the people
being measured), each connection sending the next message the moment the previous one is
answered, until the time is up or SIGTERM. Prints one JSON line: requests, answers by HTTP
status, requests per second.
"""
import argparse
import asyncio
import json
import signal
import sys
import time
import uuid
from collections import Counter

import aiohttp


async def flood(args) -> dict:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.call_later(args.seconds, stop.set)
    statuses: Counter = Counter()
    headers = {"Authorization": f"Bearer {args.jwt or args.token}"}
    url = f"{args.url}/webhooks/rest/webhook"
    connector = aiohttp.TCPConnector(local_addr=(args.address, 0), limit=args.connections)
    start = time.monotonic()
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as http:
        async def one_connection(index: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                sender = f"flood-{index}-{n}-{uuid.uuid4().hex[:6]}" if args.rotate else args.sender
                body = {"sender": sender, "message": "hello hello hello"}
                try:
                    async with http.post(url, json=body, headers=headers) as response:
                        await response.read()
                        statuses[str(response.status)] += 1
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    statuses[type(error).__name__] += 1

        await asyncio.gather(*(one_connection(i) for i in range(args.connections)))
    elapsed = time.monotonic() - start
    total = sum(statuses.values())
    return {"address": args.address, "requests": total, "statuses": dict(statuses),
            "per_second": round(total / elapsed, 1) if elapsed else 0.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--address", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--sender")
    parser.add_argument("--jwt")
    parser.add_argument("--rotate", action="store_true")
    parser.add_argument("--token")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(flood(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
