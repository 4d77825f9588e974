"""Where the Rasa server keeps conversations and their locks, chosen by
environment variables (see README, "Running in production")."""
