"""The project's own web servers: the chat widget's page and the handover summaries
(server.py).

`python -m bot.web` starts it. Web servers read settings and storage; nothing below them
imports from here.
"""
