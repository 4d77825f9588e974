"""The clinic's channels: Rasa's socket.io, Slack and Telegram connectors,
configured from the environment (never from files in the repository) and
hardened where Rasa 3.6 leaves a gap. Registered in `credentials.yml`."""
