"""A due check-in is sent exactly once by the cluster (issue 16: "fires once, even with
several Rasa and action servers").

Several Telegram chats get self-care advice through nginx and press "Check in with me in 3
days"; the test then moves their stored times three days back in PostgreSQL, so that all of
them fall due at the same moment. Both Rasa servers look for due check-ins every CHECKIN_POLL
seconds (2 here, conftest.py) and race for the same rows. Each chat must get the question
once, as a real sendMessage to the Bot API stand-in, and nothing else (a second delivery would
show as any second message: the question again, or its "back to my question"), while both
servers go on looking; every row ends `sent`. The figures are the last line's
`details.checkins_once`.
"""
import asyncio
import random
import time
from datetime import timedelta

import aiohttp
import sqlalchemy as sa

from conftest import log
from scripts.bench.conversations import MILDEST_ANSWERS

CHATS = 8
QUESTION = "How is your back now"


async def update(http, cluster, chat_id, text=None, button=None):
    common = {"chat": {"id": chat_id, "type": "private"},
              "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"}}
    if button is None:
        body = {"update_id": random.randrange(1, 2**31), "message": {
            "message_id": random.randrange(1, 2**31), "date": int(time.time()), "text": text,
            **common}}
    else:
        body = {"update_id": random.randrange(1, 2**31), "callback_query": {
            "id": f"cb{random.randrange(1, 2**31)}", "data": button, "chat_instance": "ci",
            "from": common["from"], "message": {
                "message_id": 1, "date": int(time.time()), "text": "question",
                "chat": common["chat"]}}}
    headers = {"X-Telegram-Bot-Api-Secret-Token": cluster.env["TELEGRAM_WEBHOOK_SECRET"]}
    async with http.post(f"{cluster.url}/webhooks/telegram/webhook", json=body,
                         headers=headers, timeout=aiohttp.ClientTimeout(total=120)) as response:
        assert response.status == 200, response.status


def messages_to(telegram_api, chat_id, after=0):
    """What the bot sent to this chat, from its `after`-th message on."""
    return [m for m in telegram_api.sent("sendmessage")
            if m.get("chat_id") == str(chat_id)][after:]


def test_a_due_check_in_is_sent_once_by_the_cluster(cluster, telegram_api, tracker_engine,
                                                     figures):
    chat_ids = random.sample(range(10**8, 10**9), CHATS)
    recipients = [f"telegram:{c}" for c in chat_ids]

    async def self_care_and_yes(http, chat_id):
        await update(http, cluster, chat_id, text="I tweaked my back on the leg press")
        for answer in MILDEST_ANSWERS:
            await update(http, cluster, chat_id, button=answer)
        await update(http, cluster, chat_id, button="/checkin_accept")

    async def everyone():
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(self_care_and_yes(http, c) for c in chat_ids))

    asyncio.run(everyone())
    rows = sa.text("SELECT id, state FROM checkins WHERE recipient IN :r").bindparams(
        sa.bindparam("r", expanding=True))
    with tracker_engine.connect() as connection:
        scheduled = connection.execute(rows, {"r": recipients}).all()
    assert len(scheduled) == CHATS and {s for _, s in scheduled} == {"scheduled"}
    # From here on, anything the bot sends these chats is the check-in's doing.
    before = {c: len(messages_to(telegram_api, c)) for c in chat_ids}
    time.sleep(2 * float(cluster.env["CHECKIN_POLL"]))
    assert not any(messages_to(telegram_api, c, before[c]) for c in chat_ids)  # not due yet

    # Three days pass for all of them at once.
    with tracker_engine.begin() as connection:
        connection.execute(sa.text(
            "UPDATE checkins SET created_at = created_at - :d, due_at = due_at - :d "
            "WHERE recipient IN :r").bindparams(sa.bindparam("r", expanding=True)),
            {"d": timedelta(days=3), "r": recipients})
    due_at = time.monotonic()
    deadline = due_at + 90
    while time.monotonic() < deadline and not all(messages_to(telegram_api, c, before[c])
                                                  for c in chat_ids):
        time.sleep(0.5)
    all_sent_in = time.monotonic() - due_at
    poll = float(cluster.env["CHECKIN_POLL"])
    time.sleep(5 * poll)  # both servers look again, several times
    sent = {c: messages_to(telegram_api, c, before[c]) for c in chat_ids}
    counts = {c: len(messages) for c, messages in sent.items()}
    with tracker_engine.connect() as connection:
        states = [s for _, s in connection.execute(rows, {"r": recipients}).all()]
    figures["details"]["checkins_once"] = {
        "chats": CHATS, "rasa_servers": len(cluster.rasa_ports), "poll_seconds": poll,
        "questions_sent": sum(counts.values()), "all_sent_within_s": round(all_sent_in, 1),
        "states": sorted(set(states))}
    log(f"check-ins: {sum(counts.values())} questions for {CHATS} due check-ins, "
        f"all sent within {all_sent_in:.1f} s")
    assert counts == {c: 1 for c in chat_ids}  # one message each, and only one
    assert all(QUESTION in messages[0]["text"] for messages in sent.values())
    assert states == ["sent"] * CHATS
