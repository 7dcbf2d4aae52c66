"""The project's own English spaCy pipeline: lemmas, typo-tolerant entity patterns, negation,
ConText (whose sign, and is it current) and the learned red-flag detector.

Importing this package registers the custom components with spaCy, which must happen before
`spacy.load()` reads a pipeline that uses them (Rasa's SpacyNLP does; see `bot.language.components`).
"""
from bot.language import ambiguity, context, negation, normalize, phrase_trie, screens  # noqa: F401  (factories)
