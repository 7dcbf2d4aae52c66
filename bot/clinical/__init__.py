"""The clinical core: the triage rules (triage.py), reading typed answers (answers.py) and
the checks on what a person typed (input_checks.py).

Pure Python that knows nothing of Rasa, spaCy, databases or wording, so that a clinician can
read it and the tests can check it rule by rule. It imports nothing else of the bot.
"""
