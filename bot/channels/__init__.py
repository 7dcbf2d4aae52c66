"""The project's chat channels: Rasa's REST, socket.io and Telegram channels, hardened.

Each one checks what arrives before it reaches the bot (bounded, well-typed text; a clear
400 for a body that is not a message) and never writes message text to the logs. Due
check-ins reach people through them (checkin_delivery.py).
"""
