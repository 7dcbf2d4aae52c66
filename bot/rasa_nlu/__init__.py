"""Rasa NLU components of the project (they run inside the Rasa server)."""
