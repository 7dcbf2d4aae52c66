"""The leg-press back-pain triage bot: everything that is not Rasa data or an action.

Subpackages by concern, lowest first; a module imports only from its own layer or below
(tests/unit/test_architecture.py checks it; docs/architecture.md draws it):

    clinical      the triage rules, reading typed answers, input checks   (pure Python, no Rasa)
    settings      settings read from the environment                      (a module, no imports)
    rasa_patches  every place the bot changes what Rasa 3.6 itself does
    language      the spaCy pipeline and the Rasa NLU components built on it
    storage       databases: engine, triage records, tracker and lock stores, retention
    channels      the REST, socket.io and Telegram channels
    web           the project's own web servers (the widget's page)
    staff         staff tools: the `python -m bot` command line, dialogue files, NLU reports
"""
