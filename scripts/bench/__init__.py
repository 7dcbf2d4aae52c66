"""`make bench`: the project's bot and Rasa's stock demo bot, measured side by side in one run.

    .venv/bin/python -m scripts.bench [--help]

Modules: conversations (the simulated users' scripts), load (the asyncio load generator and
percentiles), servers (start/stop on free ports, peak memory), inprocess (the cost of one
message without HTTP), report (JSON, markdown table, plot), run (the steps, in order).
"""
