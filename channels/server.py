"""Rasa's command line as the project runs it: the Rasa server as `rasa run`
does (same options), `rasa shell` for staff, or `rasa train`, with what
Rasa's command line cannot do:

- for the servers, the settings are read and checked first
  (runtime.settings), and the Rasa adapter is applied (rasa_adapter.apply),
  before Rasa loads anything;
- the HTTP API's token is read from RASA_AUTH_TOKEN, never passed as an
  argument (`ps` shows every process's arguments to every user); the API is
  on only when the token is set (`run` only: the shell's server is local);
- the address it listens on (`--interface`, Rasa's default 0.0.0.0) must be
  loopback unless RASA_HOST says otherwise, so that the start's check of
  REST's token (runtime.settings) is made for the address really used;
- channels.http_api's rules for the API (the token as a Bearer header, no
  model changes, percent-encoded conversation ids);
- log records on one line, and no library deprecation warnings (runtime.logs).

    python -m channels.server [run] --interface 127.0.0.1 --port 5005 --model M --credentials C --endpoints E
    python -m channels.server shell --model M --endpoints E --port 5006
    python -m channels.server train --fixed-model-name leg-cramps --out models
"""

from __future__ import annotations

import os
import sys

from runtime.logs import one_line_records, quiet_library_warnings
from runtime.settings import is_loopback, settings

TOKEN_VARIABLE = "RASA_AUTH_TOKEN"
COMMANDS = ("run", "shell", "train")


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    if any(argument.startswith("--auth-token") for argument in arguments):
        sys.exit(f"Give the HTTP API's token as {TOKEN_VARIABLE}, not on the command line.")
    # Before Rasa and its libraries are imported: they warn as they load. Sanic
    # turns deprecation warnings back on when it loads, so it goes first.
    quiet_library_warnings()
    import sanic  # noqa: F401
    quiet_library_warnings()
    import rasa.utils.tensorflow.environment as tf_env
    from rasa.__main__ import create_argument_parser
    from rasa.shared.exceptions import RasaException
    from rasa.shared.utils.cli import print_error
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.io import configure_colored_logging
    from rasa.utils.log_utils import configure_structlog

    import rasa_adapter
    from channels.http_api import http_api_guard
    from turns import fallback

    def record_fallback_levels(app: sanic.Sanic, _loop: object) -> None:
        """Levels told by the fallback (turns.fallback) go into the conversation,
        through the agent Rasa loads onto the app."""
        fallback.record_in(lambda: getattr(app.ctx, "agent", None))

    command = "run"
    if arguments and arguments[0] in COMMANDS:
        command, arguments = arguments[0], arguments[1:]
    args = create_argument_parser().parse_args([command, *arguments])
    if command != "train":  # the servers; training reads no settings and calls no action server
        current = settings()
        rasa_adapter.apply(action_server_timeout=current.action_server_timeout)
    if command == "run":
        if not is_loopback(args.interface) and is_loopback(current.rasa_host):
            sys.exit(f"The Rasa server would listen on {args.interface}, beyond loopback, but RASA_HOST is "
                     f"{current.rasa_host}: set RASA_HOST={args.interface}, so that REST's token "
                     "(RASA_REST_TOKEN) is required for it.")
        args.enable_api = current.auth_token is not None
        args.auth_token = current.auth_token
        args.server_listeners = [(http_api_guard(current.auth_token), "before_server_start"),
                                 (record_fallback_levels, "before_server_start")]
    # What rasa.__main__.main does before running a command (without telemetry, which is off).
    configure_logging_and_warnings(args.loglevel, args.logging_config_file, warn_only_once=True,
                                   filter_repeated_logs=True)
    tf_env.setup_tf_environment()
    configure_colored_logging(args.loglevel)
    configure_structlog(args.loglevel)
    one_line_records()
    quiet_library_warnings()  # again: Sanic and Rasa add filters of their own as they load
    sys.path.insert(1, os.getcwd())
    try:
        args.func(args)
    except RasaException as error:
        print_error(f"{error.__class__.__name__}: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
