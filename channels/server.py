"""Starts the Rasa server as `rasa run` does (same options), with what
`rasa run` cannot do from its command line:

- the HTTP API's token is read from RASA_AUTH_TOKEN, never passed as an
  argument (`ps` shows every process's arguments to every user); the API is
  on only when the token is set;
- channels.http_api's rules for the API (the token as a Bearer header, no
  model changes, percent-encoded conversation ids);
- log records on one line (runtime.logs).

    python -m channels.server --interface 127.0.0.1 --port 5005 --model M --credentials C --endpoints E
"""

from __future__ import annotations

import os
import sys

import rasa.utils.tensorflow.environment as tf_env
from rasa.__main__ import create_argument_parser
from rasa.shared.exceptions import RasaException
from rasa.shared.utils.cli import print_error
from rasa.utils.common import configure_logging_and_warnings
from rasa.utils.io import configure_colored_logging
from rasa.utils.log_utils import configure_structlog

from channels.http_api import http_api_guard
from runtime.logs import one_line_records

TOKEN_VARIABLE = "RASA_AUTH_TOKEN"


def main(argv: list[str] | None = None) -> None:
    if any(option.startswith("--auth-token") for option in argv or sys.argv[1:]):
        sys.exit(f"Give the HTTP API's token as {TOKEN_VARIABLE}, not on the command line.")
    args = create_argument_parser().parse_args(["run", *(sys.argv[1:] if argv is None else argv)])
    token = os.environ.get(TOKEN_VARIABLE) or None
    args.enable_api = token is not None
    args.auth_token = token
    args.server_listeners = [(http_api_guard(token), "before_server_start")]
    # What rasa.__main__.main does before running a command (without telemetry, which is off).
    configure_logging_and_warnings(args.loglevel, args.logging_config_file, warn_only_once=True,
                                   filter_repeated_logs=True)
    tf_env.setup_tf_environment()
    configure_colored_logging(args.loglevel)
    configure_structlog(args.loglevel)
    one_line_records()
    sys.path.insert(1, os.getcwd())
    try:
        args.func(args)
    except RasaException as error:
        print_error(f"{error.__class__.__name__}: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
