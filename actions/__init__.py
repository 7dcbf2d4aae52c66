"""Custom actions: thin adapters between Rasa's tracker and the pure triage rules in bot/."""
