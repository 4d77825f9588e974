"""How the Rasa server calls the action server. Two changes to Rasa 3.6,
made when the Rasa server loads the channels:

- The wait for an answer is capped at ACTION_SERVER_TIMEOUT seconds (10 by
  default; Rasa waits 5 minutes). Then `channels.fallback` answers.
- Rasa checks every action-server response against its JSON schema with
  `jsonschema.validate`, which first checks the schema itself against the
  metaschema, every time: 61% of the Rasa server's CPU under load (py-spy,
  see README "Benchmark"). The same check, with a validator built once.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import rasa.core.actions.action
from jsonschema import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

# Read by Rasa at each call.
rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = int(os.environ.get("ACTION_SERVER_TIMEOUT", "10"))


@lru_cache(maxsize=1)
def response_validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    return validator_for(schema)(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result, with the validator built once."""
    try:
        response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (". Failed to validate Action server response from API, make sure your response from the "
                          f"Action endpoint is valid. For more information about the format visit "
                          f"{DOCS_BASE_URL}/custom-actions")
        raise error


RemoteAction._validate_action_result = validate_action_result
