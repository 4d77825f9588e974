"""Log records that stay on one line.

A message, a sender id or an error can carry a newline; written as it is, it
would start what looks like a log line of its own (a forged entry). Every
record's message has its line breaks escaped when the record is made, before
any handler or formatter sees it; tracebacks are kept as they are (the
formatter adds them from `exc_info`)."""

from __future__ import annotations

import logging
import warnings
from typing import Any

LINE_BREAKS = str.maketrans({"\n": "\\n", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029",
                             "\x85": "\\x85", "\x0b": "\\x0b", "\x0c": "\\x0c"})


def one_line_records() -> None:
    """Installs the record factory (once; calling it again changes nothing)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "one_line", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to logging's own error report
            return record
        escaped = message.translate(LINE_BREAKS)
        if escaped != message:
            record.msg, record.args = escaped, None
        return record

    make_record.one_line = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)


def quiet_library_warnings() -> None:
    """Hides deprecation warnings: they are about libraries' own code, and
    tell staff at a terminal nothing they can act on. `PYTHONWARNINGS` (the
    Makefile's) is not enough, because Sanic turns them back on when imported."""
    for category in (DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
