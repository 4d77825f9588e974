"""The person's turn in progress: whether one is, and what failed during it.

`turns` starts and ends a turn around each message; the Rasa adapter notes a
failed action-server call in it (where the call is made); the tracker store
asks whether a turn is in progress, to stop it rather than let Rasa carry on
without the conversation. A context variable follows the turn's asyncio task.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

_failures: ContextVar[list[str] | None] = ContextVar("turn_failures", default=None)


def in_turn() -> bool:
    """True while a person's message is being handled (between start_turn and end_turn)."""
    return _failures.get() is not None


def start_turn() -> Token[list[str] | None]:
    return _failures.set([])


def end_turn(token: Token[list[str] | None]) -> list[str]:
    """The failures noted since `start_turn`."""
    failures = _failures.get() or []
    _failures.reset(token)
    return failures


def note_failure(description: str) -> None:
    """Notes a failure for the current turn (nothing outside a turn)."""
    failures = _failures.get()
    if failures is not None:
        failures.append(description)
