"""Everything the bot keeps, and for how long.

- database.py: the engine built from configuration and a unit of work (SQLAlchemy 2.0 style);
- records.py, case_log.py, pseudonym.py: the triage records staff review, keyed by a
  pseudonym instead of the sender id;
- erasure.py: "delete my data", records and conversation, all or nothing, and the reply that
  says what was deleted;
- tracker_store.py, resilient_tracker_store.py, recent_trackers.py, tracker_tables.py: Rasa's
  SQL tracker store, extended to erase a conversation, to ride out a database restart and to
  keep recent conversations in memory; the staff tools read its tables directly;
- lock_store.py: one message per conversation at a time, in memory or on Redis;
- summaries.py, summary_store.py: the handover summaries behind expiring tokens (issue 16).

May import bot.clinical, bot.settings and bot.rasa_patches (the stores install the patches
when Rasa loads them).
"""
