"""Tools for the support staff: `python -m bot` (cli.py: cases, checkins, purge, dialogue), the
dialogue files they write and play against a running bot (dialogue.py), and the NLU quality
report (nlu_quality.py). The top layer: it may import anything else of the bot.
"""
