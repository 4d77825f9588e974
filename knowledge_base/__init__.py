"""The leg-cramp knowledge base: YAML sources, a database built from them, and
the medical logic (ranking causes, triage, advice) queried by the assistant.

Nothing here imports Rasa, so it can be unit-tested on its own.
"""
