"""The time budget for understanding one message (`rasa_adapter.parsing` sets
it around each parse). A thread cannot be stopped from outside, so the
pipeline's loops whose work grows with the message ask `out_of_time()` and
stop early; the parse is then answered as not understood, with what was
already found (`rasa_adapter.parsing`). Outside a parse (training, tests, the
local fallback triage) there is no budget and `out_of_time()` is always False.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Budget:
    deadline: float  # time.monotonic()
    ran_out: bool = False


_budget: ContextVar[Budget | None] = ContextVar("understanding_budget", default=None)


@contextmanager
def budget(seconds: float) -> Iterator[Budget]:
    """A budget of `seconds` from now for the code run inside the block (this context only)."""
    current = Budget(time.monotonic() + seconds)
    token = _budget.set(current)
    try:
        yield current
    finally:
        _budget.reset(token)


def out_of_time() -> bool:
    """Whether the current parse has used up its budget (and, if so, noted that it has)."""
    current = _budget.get()
    if current is None:
        return False
    if not current.ran_out and time.monotonic() > current.deadline:
        current.ran_out = True
    return current.ran_out
