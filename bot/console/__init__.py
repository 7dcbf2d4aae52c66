"""The staff console: a web application where support staff read conversations, correct the
bot and watch how it is doing (python -m bot.console, port CONSOLE_PORT, default 8090).

- app.py: the aiohttp application, its pages and its security (sessions, CSRF, headers);
- auth.py: staff accounts (Argon2id), sessions, the login lock-out, the audit trail;
- conversations.py: the console's index of Rasa's tracker table, the inbox, the transcript;
- reviewing.py: annotations, tags, notes, "reviewed";
- exports.py: annotations as Rasa NLU YAML, a conversation as a staff dialogue file;
- charts.py: the dashboard's figures, drawn as SVG on the server (matplotlib);
- schema.py: the console's tables (migration 0002_staff_console); templates/, static/.

May import bot.clinical, bot.settings and bot.storage (it reads the tracker store and the
records with their pseudonyms); bot.staff's command line uses it to manage accounts and export
annotations.
"""
