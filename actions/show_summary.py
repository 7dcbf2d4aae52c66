"""Show the handover summary in the chat: the "Summary for your doctor" button (issue 16).

The latest unexpired summary of this conversation, as text, in every channel; the words are the
same as on the page and in the PDF (bot/handover/summary.py, data/summary/). When there is none
(never given, expired, or the data was deleted), the person is told so and how to get a new one.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.handover import summary
from bot.storage.summary_store import SummaryStore

SUMMARIES = SummaryStore()
SHOWN = "utter_summary"
NONE = "utter_summary_none"
RESPONSES = (SHOWN, NONE)


class ActionShowSummary(Action):
    def name(self) -> Text:
        return "action_show_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        found = await asyncio.to_thread(SUMMARIES.latest, tracker.sender_id)
        if not found:
            dispatcher.utter_message(response=NONE)
            return []
        text = summary.as_text(summary.sections(
            found["facts"], reference=found["reference"], created_at=found["created_at"],
            expires_at=found["expires_at"]))
        dispatcher.utter_message(response=SHOWN)
        dispatcher.utter_message(text=text.strip())
        return []
