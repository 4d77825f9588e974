"""What every part of the assistant shares, at the bottom of the layers: its
settings (runtime.settings), log records on one line (runtime.logs), and the
turn in progress (runtime.turn). Nothing here imports Rasa."""
