"""Rasa NLU components of the project (they run inside the Rasa server)."""
from bot import rasa_speedups

rasa_speedups.install()
