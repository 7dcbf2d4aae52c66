"""The project's own web servers: today the chat widget's page (server.py).

`python -m bot.web` starts it. Web servers read settings and storage; nothing below them
imports from here.
"""
