"""The patched restart (rasa_adapter.restart), run as Rasa runs it: Rasa's own
ActionRestart on a real tracker, whose events are then applied as Rasa applies
them."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.actions.action import ActionRestart, action_for_name_or_text
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Restarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import rasa_adapter
from knowledge_base.db import PROJECT_ROOT
from rasa_adapter.restart import KEPT_OVER_RESTART


@pytest.fixture(scope="module", autouse=True)
def applied() -> None:
    rasa_adapter.apply(action_server_timeout=10)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "domain.yml")


def restarted(domain: Domain, slots: dict[str, object]) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("someone", [UserUttered("hi"), ActionExecuted("action_listen")],
                                               slots=domain.slots)
    for name, value in slots.items():
        tracker.update(SlotSet(name, value))
    action = action_for_name_or_text("action_restart", domain, None)
    assert isinstance(action, ActionRestart)  # the action Rasa runs for "start over"
    events = asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses),
                                    tracker, domain))
    assert any(isinstance(event, Restarted) for event in events)
    for event in events:
        tracker.update(event, domain)
    return tracker


def test_a_told_level_and_its_warning_signs_survive_start_over(domain: Domain) -> None:
    tracker = restarted(domain, {"red_flags": ["leg_swelling", "breathlessness"], "triage_level": "emergency",
                                 "announced_level": "emergency", "cramp_location": "calf", "cramp_timing": "night",
                                 "cramp_frequency": "weekly"})
    assert tracker.get_slot("triage_level") == "emergency"
    assert tracker.get_slot("red_flags") == ["leg_swelling", "breathlessness"]
    assert tracker.get_slot("announced_level") == "emergency"
    # Where, when and how often are asked again.
    assert (tracker.get_slot("cramp_location"), tracker.get_slot("cramp_timing"),
            tracker.get_slot("cramp_frequency")) == (None, None, None)


def test_start_over_before_any_level_sets_nothing_again(domain: Domain) -> None:
    tracker = restarted(domain, {"cramp_location": "calf"})
    assert all(tracker.get_slot(name) in (None, [], False) for name in KEPT_OVER_RESTART)
    assert not [event for event in tracker.events_after_latest_restart() if isinstance(event, SlotSet)]


def test_every_kept_slot_is_in_the_domain(domain: Domain) -> None:
    assert set(KEPT_OVER_RESTART) <= {slot.name for slot in domain.slots}
