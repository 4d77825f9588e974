"""Everything that adapts Rasa Open Source 3.6 to this project, in one place.

`apply()` installs the patches below. It is called explicitly where a Rasa
process starts (`channels.server`, for `make serve` and `make chat`);
importing this package changes nothing. It first checks that the installed
Rasa is the one the patches were written against and stops with a clear
message otherwise: each patch replaces or wraps a name whose meaning a new
Rasa release may change. `tests/rasa_adapter/` has a test per patch that
fails if Rasa stops using the patched name.

Patched (monkey-patched on Rasa's classes and modules by `apply()`):
- `rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT`: the wait for the action
  server, capped at ACTION_SERVER_TIMEOUT (Rasa waits 5 minutes), so that the
  person gets the fallback reply instead of silence.
- `RemoteAction.run`: wrapped, so that a failed action-server call is noted
  for the turn where the call is made (`runtime.turn.note_failure`); Rasa
  itself only logs it and carries on, and the person would get no answer.
- `RemoteAction._validate_action_result`: the same JSON-schema check of the
  action server's response, with validators built once and each event
  checked against its own type's schema only (Rasa rebuilt and re-checked the
  whole schema on every call).
- `RemoteAction._action_call_format`: the conversation sent to the action
  server is cut to what the actions read (slots, the latest message and the
  events since it, without metadata); Rasa sent all of it, and past about 20
  messages it no longer fitted the request-size limit.
- `EndpointConfig.session`: one HTTP session per endpoint and event loop,
  with idle connections closed before the action server's keep-alive ends;
  Rasa opened a session, and a connection, per call.
- `Event.resolve_by_type`: remembered per type name; Rasa walks every Event
  subclass for each stored event it reads back.
- `MessageProcessor.parse_message` (`parsing`): the NLU graph
  (`_parse_message_with_graph`) runs in a worker thread within a time budget
  (`parsing.PARSE_BUDGET_SECONDS`; the pipeline's loops ask
  `budget.out_of_time()`); past it the message is `nlu_fallback` with the
  entities found. Rasa ran it on the event loop, so one costly message
  stalled every conversation on the server.
- `ActionRestart.run` ("start over"): the level told and the warning signs
  behind it are set again after Rasa's `Restarted` (`restart`), so that no
  later triage tells less than what was already told.

Subclassed (our classes override these; no patch is installed):
- `SQLTrackerStore._retrieve` (Rasa's read of a conversation): overridden by
  `ConversationReadingSQLTrackerStore`, which hands it to a public
  `read_tracker`.
- `RasaModel.load` for DIET and the ResponseSelector's models
  (`tensorflow_models`): the trained model is loaded without tracing its
  training graph.

Relied on (documented, tested, not patched):
- `SocketIOInput.blueprint` registers its handlers on `self.sio`, where
  `channels.socketio` replaces them with its own.
"""

from __future__ import annotations

import rasa.version

# The release every patch here was written against and tested with.
RASA_VERSION = "3.6.21"

_applied = False


class RasaVersionMismatch(SystemExit):
    """The installed Rasa is not the one these patches were written for."""


def check_rasa_version(installed: str | None = None) -> None:
    installed = installed or rasa.version.__version__
    if installed != RASA_VERSION:
        raise RasaVersionMismatch(
            f"This project adapts Rasa {RASA_VERSION} (rasa_adapter), but Rasa {installed} is installed. "
            f"Install the pinned version (`make install`), or check every patch listed in rasa_adapter/__init__.py "
            f"against Rasa {installed} and update RASA_VERSION.")


def apply(action_server_timeout: int) -> None:
    """Checks Rasa's version, then installs every patch (once; a second call changes nothing)."""
    global _applied
    check_rasa_version()
    if _applied:
        return
    from rasa_adapter import action_calls, events, parsing, restart

    action_calls.apply(action_server_timeout)
    events.apply()
    parsing.apply()
    restart.apply()
    _applied = True
