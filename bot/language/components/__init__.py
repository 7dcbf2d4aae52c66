"""Rasa NLU components of the project (they run inside the Rasa server)."""
from bot.rasa_patches import session_start, speedups

# Every process that loads the model (the Rasa server, the shell, the bench's in-process step)
# imports this package first.
speedups.install()
session_start.install()
