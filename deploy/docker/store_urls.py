#!/usr/bin/env python3
"""The images' entrypoint: puts the stores' passwords into their URLs,
percent-encoded, then runs the command (`store-urls COMMAND [ARG...]`).

compose, and Kubernetes if the clinic likes, give PostgreSQL's and Redis's
passwords apart from the URLs: POSTGRES_PASSWORD goes into TRACKER_STORE_URL
and KB_DATABASE_URL, REDIS_PASSWORD into REDIS_URL. Written into a URL as
they are, the `/`, `+` and `=` of a password from `openssl rand -base64 32`
would break it. A URL that already carries a password, or has no host
(SQLite), is left as it is. The passwords are then taken out of the
environment: nothing else needs them.

Standard library only: it runs in both images before anything else.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
from collections.abc import Mapping

# Each URL, and the variable holding its password.
PASSWORDS = {"TRACKER_STORE_URL": "POSTGRES_PASSWORD", "KB_DATABASE_URL": "POSTGRES_PASSWORD",
             "REDIS_URL": "REDIS_PASSWORD"}


def with_password(url: str, password: str) -> str:
    """`url` with `password` percent-encoded in it, unless it has one already."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is not None or not parts.hostname:
        return url
    user, _, host = parts.netloc.rpartition("@")
    netloc = f"{user}:{urllib.parse.quote(password, safe='')}@{host}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def completed(environment: Mapping[str, str]) -> dict[str, str]:
    """The environment with the URLs completed and the passwords removed."""
    result = dict(environment)
    for url_name, password_name in PASSWORDS.items():
        password = environment.get(password_name, "")
        if environment.get(url_name) and password:
            result[url_name] = with_password(environment[url_name], password)
    for password_name in set(PASSWORDS.values()):
        result.pop(password_name, None)
    return result


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit("usage: store-urls COMMAND [ARG...]")
    os.execvpe(argv[0], argv, completed(os.environ))


if __name__ == "__main__":
    main(sys.argv[1:])
