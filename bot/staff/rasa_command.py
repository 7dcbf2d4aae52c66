"""Rasa's command line, with the project's spaCy pipeline quick to load.

    python -m bot.staff.rasa_command train ...      (any `rasa` command and its options)

The same as `rasa ...`, but run by bot.language.run_rasa, after bot.language's imports, so
that loading the spaCy pipeline (its learned detector's skops file) takes 3.7 s instead of
9 s (bot.language's docstring says why). `make train` (bot.staff.retrain) and `make bench`
(our Rasa server) run Rasa through it.
"""
import sys

from bot.language import run_rasa

if __name__ == "__main__":
    run_rasa(sys.argv[1:])
