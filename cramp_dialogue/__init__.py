"""The project's Rasa dialogue components."""
