"""The project's own English spaCy pipeline: lemmas, typo-tolerant entity patterns, negation,
ConText (whose sign, and is it current) and the learned red-flag detector.

Importing this package registers the custom components with spaCy, which must happen before
`spacy.load()` reads a pipeline that uses them (Rasa's SpacyNLP does; see `bot.language.components`).

It imports skops (the learned detector's file format, bot.language.screens) first, before
spaCy brings in TensorFlow: `skops.io` lists its trusted types when it is first imported,
looking up each numpy and scipy ufunc in every module already loaded (skops 0.9,
`skops.io._utils.whichmodule`). After Rasa and TensorFlow (about 6,000 modules) that import
took 5.3 s, first 1.0 s: loading the spaCy pipeline, in every training and at every start of
a Rasa server, took 8.6-9.8 s, 3.6-3.7 s now. So the project runs Rasa's command line
through `run_rasa` below, which cannot run before this package is imported: the Rasa
servers (bot.channels.serve), `rasa shell` (bot.channels.shell), and training and any other
command (`python -m bot.staff.rasa_command`, what `make train` runs);
tests/unit/test_language_import_order.py checks them.
"""
import skops.io  # noqa: F401  first: see above
import sys
from typing import List

from bot.language import ambiguity, context, negation, normalize, phrase_trie, screens  # noqa: F401  (factories)


def run_rasa(args: List[str]) -> None:
    """Rasa's command line (`rasa ARGS...`) in this process, after this package's imports."""
    from rasa.__main__ import main as rasa_main

    if args[:1] == ["run"]:
        from bot import settings
        from bot.rasa_patches import server_hooks

        server_hooks.limit_turns(settings.turns_at_once())  # a bad value stops the start here
    if args[:1] == ["train"]:
        from bot.rasa_patches import training

        training.share_the_validation_s_importer()  # bot/rasa_patches/training.py, 9.

    sys.argv = ["rasa", *args]  # Rasa parses sys.argv
    rasa_main()
