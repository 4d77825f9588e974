"""A dialogue policy that keeps an emergency reply on its own."""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

# The triage level whose reply must stand alone, as the custom payload names it.
EMERGENCY = "emergency"
# Above RulePolicy (6), so that no rule (greeting, fallback, FAQ ...) answers after it.
EMERGENCY_POLICY_PRIORITY = 7


def emergency_told_this_turn(tracker: DialogueStateTracker) -> bool:
    """Whether the bot has sent an emergency triage reply since the person's last message."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.data.get("custom") or {}).get("triage_level") == EMERGENCY:
            return True
    return False


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class EmergencyStandsAlonePolicy(Policy):
    """Once an emergency reply ("Call 911 now") has gone out in a turn, nothing
    else is said in that turn: no greeting, FAQ answer, fallback or disclaimer
    after it. The questionnaire, if running, is closed and the bot listens.

    The emergency reply comes from `action_validate_slot_mappings`, which Rasa
    runs before any policy predicts, so this policy only has to end the turn.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": EMERGENCY_POLICY_PRIORITY}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, **kwargs: Any) -> None:
        super().__init__(config, model_storage, resource, execution_context, **kwargs)
        self.resource = resource

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self.resource  # nothing to learn

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = [0.0] * domain.num_actions
        if emergency_told_this_turn(tracker):
            action = ACTION_DEACTIVATE_LOOP_NAME if tracker.active_loop_name else ACTION_LISTEN_NAME
            probabilities[domain.index_for_action(action)] = 1.0
        return PolicyPrediction(probabilities, self.__class__.__name__, self.priority)
