"""The assistant's own language pipeline: a spaCy pipeline generated from the
knowledge base's vocabulary, and the Rasa components that use it."""
