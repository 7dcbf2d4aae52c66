"""What a hosting team runs the bot with: health checks, Prometheus metrics, backups.

- metrics.py: the counters and histograms of each server (prometheus_client), and the
  text Prometheus scrapes;
- health.py: does each thing a turn needs answer (the model, the action server, the
  tracker store, the lock store), with a time limit each;
- rasa_server.py: /health and /metrics on the Rasa server and a look at each finished
  turn (through bot.rasa_patches.server_hooks); installed by bot.channels.serve;
- action_server.py: `python -m bot.operations.action_server`, the action server with
  /health (its database) and /metrics, through rasa_sdk's own plugin hook;
- backup.py: `python -m bot.operations.backup` (make backup / make restore).

docs/operations.md says how to scrape, alert and back up.
"""
