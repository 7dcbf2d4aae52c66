"""Rasa's command line, with the project's spaCy pipeline quick to load.

    python -m bot.staff.rasa_command train ...      (any `rasa` command and its options)

The same as `rasa ...`, but bot.language is imported before Rasa imports TensorFlow, so that
loading the spaCy pipeline (its learned detector's skops file) takes 3.7 s instead of 9 s in
every training (bot.language's docstring says why). `make train` (bot.staff.retrain) runs
Rasa through it.
"""
import sys

import bot.language  # noqa: F401  first: see the docstring


def main() -> None:
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
