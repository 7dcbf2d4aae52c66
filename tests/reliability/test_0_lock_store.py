"""The Redis lock store under contention from two processes (no Rasa server needed).

Two processes take the same conversation's lock as fast as they can and note, in Redis,
whenever both are inside it at once. With Rasa 3.6's RedisLockStore a read-modify-write of
one process can overwrite the other's (a ticket handed out twice, or dropped, or the whole
lock deleted while someone waits: "Could not acquire lock"). AtomicRedisLockStore must show
neither overlaps nor lock errors; the stock figures are reported for comparison.
"""
import multiprocessing
import os
import queue
import uuid

from conftest import log

ROUNDS = 300
LIFETIME = 2  # seconds: a dropped ticket then blocks the other process for at most this
BUDGET_SECONDS = 20  # per process; a stock store that stalls is cut off (rounds < 600)
URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


def _hammer(kind: str, prefix: str, conversation: str, results) -> None:
    import asyncio

    from rasa.core.lock_store import LockError, RedisLockStore

    from bot.storage.lock_store import AtomicRedisLockStore

    store = AtomicRedisLockStore.from_url(URL, key_prefix=prefix)
    if kind == "stock":
        kwargs = store.red.connection_pool.connection_kwargs
        store = RedisLockStore(host=kwargs["host"], port=kwargs["port"], db=kwargs["db"],
                               key_prefix=prefix)
    holders_key = f"{prefix}:holders"

    async def run():
        import time

        overlaps = errors = done = 0
        deadline = time.monotonic() + BUDGET_SECONDS
        while done < ROUNDS and time.monotonic() < deadline:
            done += 1
            try:
                async with store.lock(conversation, lock_lifetime=LIFETIME,
                                      wait_time_in_seconds=0.002):
                    if store.red.incr(holders_key) > 1:
                        overlaps += 1  # another process is inside the lock too
                    await asyncio.sleep(0.001)
                    store.red.decr(holders_key)
            except LockError:
                errors += 1
        return overlaps, errors, done

    results.put(asyncio.run(run()))


def contention(kind: str) -> dict:
    prefix = "locktest" + uuid.uuid4().hex[:8]
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_hammer, args=(kind, prefix, conversation, results))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    # A process stuck inside the stock store's lock() (it can wait forever for a ticket that
    # another process overwrote) never reports: it counts as stalled and is stopped.
    outcomes = []
    for _ in workers:
        try:
            outcomes.append(results.get(timeout=BUDGET_SECONDS + 15))
        except queue.Empty:
            break
    for worker in workers:
        worker.join(timeout=5)
        if worker.is_alive():
            worker.terminate()
            worker.join()
    import redis

    client = redis.Redis.from_url(URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    return {"overlaps": sum(o[0] for o in outcomes), "lock_errors": sum(o[1] for o in outcomes),
            "rounds": sum(o[2] for o in outcomes), "stalled": len(workers) - len(outcomes)}


def test_atomic_redis_lock_store_never_loses_or_shares_a_ticket(figures):
    stock = contention("stock")
    atomic = contention("atomic")
    log(f"lock store, 2 processes x {ROUNDS} tickets: Rasa's RedisLockStore {stock}, "
        f"AtomicRedisLockStore {atomic}")
    figures["details"]["lock_store_contention"] = {"rounds_per_process": ROUNDS,
                                                   "stock": stock, "atomic": atomic}
    figures["errors"] += atomic["overlaps"] + atomic["lock_errors"]
    assert atomic["overlaps"] == 0 and atomic["lock_errors"] == 0 and atomic["stalled"] == 0
    assert atomic["rounds"] == 2 * ROUNDS, "the atomic lock store stalled"
