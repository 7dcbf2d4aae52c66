"""Rasa NLU components of the project (they run inside the Rasa server)."""
from bot.rasa_patches import speedups

speedups.install()
