"""`ActionRestart.run` ("start over", `/restart`): what the person was told
survives. Rasa's restart wipes the conversation, so a level already told, and
the warning signs behind it, would be forgotten: a later triage could then
tell a lower level than the one already given. The patched restart sets the
slots below again after Rasa's `Restarted`; the answers about where, when and
how often (and everything else) are cleared as before. It runs in the Rasa
server, so it holds when the action server is down too.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from rasa.core.actions.action import ActionRestart
from rasa.shared.core.events import Event, SlotSet

# The warning signs found (rule ids that count in every later triage), the
# level told and the one announced, and the disclaimer (said once per person).
KEPT_OVER_RESTART = ("red_flags", "triage_level", "announced_level", "disclaimer_given")

_original_run: Callable[..., Coroutine[Any, Any, list[Event]]] | None = None


def apply() -> None:
    global _original_run
    if _original_run is not None:
        return
    _original_run = ActionRestart.run
    original = _original_run

    async def run(self: ActionRestart, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Event]:
        events = await original(self, output_channel, nlg, tracker, domain)
        kept = [SlotSet(name, tracker.get_slot(name)) for name in KEPT_OVER_RESTART
                if tracker.get_slot(name) not in (None, [], "", False)]
        return events + kept

    ActionRestart.run = run  # type: ignore[method-assign]
