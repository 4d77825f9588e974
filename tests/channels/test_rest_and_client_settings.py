"""REST closed by default and the client behind a proxy (issue 27), without a
server: the start's checks of the tokens, which tokens open REST, the senders
REST refuses, the client address a trusted proxy forwards, and connections
counted per key."""

from __future__ import annotations

import ipaddress
import json

import pytest

from channels.common import client_address
from channels.rest import accepted_tokens, request_problem
from runtime.settings import SettingsError, from_environment
from turns.limits import ConnectionCount

API, REST = "api-" + "a" * 32, "rest-" + "r" * 32


@pytest.mark.parametrize("name", ["RASA_REST_TOKEN", "RASA_AUTH_TOKEN"])
@pytest.mark.parametrize("blank", ["", "  "])
def test_a_token_set_but_empty_stops_the_start(name: str, blank: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} is set but empty"):
        from_environment({name: blank})


def test_beyond_loopback_rest_needs_its_own_token() -> None:
    for host in ("0.0.0.0", "10.1.2.3", "::"):
        with pytest.raises(SettingsError, match=f"RASA_HOST={host} listens beyond loopback.*RASA_REST_TOKEN"):
            from_environment({"RASA_HOST": host, "RASA_AUTH_TOKEN": API})
    assert from_environment({"RASA_HOST": "0.0.0.0", "RASA_REST_TOKEN": REST}).rest_token == REST
    for host in ("127.0.0.1", "localhost", "::1"):
        assert from_environment({"RASA_HOST": host}).rest_token is None


def test_rests_token_may_not_be_the_apis() -> None:
    with pytest.raises(SettingsError, match="RASA_REST_TOKEN must differ from RASA_AUTH_TOKEN"):
        from_environment({"RASA_REST_TOKEN": API, "RASA_AUTH_TOKEN": API})


def test_the_tokens_that_open_rest() -> None:
    def tokens(**environment: str) -> tuple[str, ...]:
        return accepted_tokens(from_environment(environment))

    assert tokens() == ()  # loopback, nothing set: open, for local use
    assert tokens(RASA_AUTH_TOKEN=API) == (API,)  # loopback: the API's token, as before REST had its own
    assert tokens(RASA_AUTH_TOKEN=API, RASA_REST_TOKEN=REST) == (REST, API)
    assert tokens(RASA_HOST="0.0.0.0", RASA_AUTH_TOKEN=API, RASA_REST_TOKEN=REST) == (REST,)  # never the API's


def test_rest_is_never_open_beyond_loopback_whoever_started_the_server() -> None:
    current = from_environment({"RASA_HOST": "0.0.0.0", "RASA_REST_TOKEN": REST})
    without_token = type(current)(**{**current.__dict__, "rest_token": None})
    with pytest.raises(SettingsError, match="needs RASA_REST_TOKEN"):
        accepted_tokens(without_token)


@pytest.mark.parametrize("sender", ["slack:U1", "telegram:42", "web:abc.def", "TELEGRAM:42"])
def test_rest_refuses_a_sender_in_another_channels_namespace(sender: str) -> None:
    problem = request_problem(json.dumps({"sender": sender, "message": "hi"}).encode())
    assert problem is not None and "may not start with" in problem


@pytest.mark.parametrize("sender", ["42", "U1", "backend:42", "slack-U1", "website-visitor"])
def test_any_other_rest_sender_is_kept(sender: str) -> None:
    assert request_problem(json.dumps({"sender": sender, "message": "hi"}).encode()) is None


def test_trusted_proxies_are_read_and_a_wrong_one_named() -> None:
    current = from_environment({"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5 ::1"})
    assert current.trusted_proxies == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.168.1.5/32"),
                                       ipaddress.ip_network("::1/128"))
    assert from_environment({}).trusted_proxies == ()
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES must list addresses or CIDR ranges.*'nginx'"):
        from_environment({"TRUSTED_PROXIES": "10.0.0.1 nginx"})


def test_the_client_address_is_forwarded_only_by_a_trusted_proxy() -> None:
    trusted = (ipaddress.ip_network("10.0.0.0/8"),)
    assert client_address("203.0.113.9", None, trusted) == "203.0.113.9"
    # An untrusted peer's header is its own claim: ignored.
    assert client_address("203.0.113.9", "198.51.100.1", trusted) == "203.0.113.9"
    assert client_address("203.0.113.9", "198.51.100.1", ()) == "203.0.113.9"
    # Through the proxy: the address it saw, not what the client wrote further left.
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.1", trusted) == "198.51.100.1"
    # Through two trusted proxies (load balancer, then nginx).
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.7", trusted) == "198.51.100.1"
    # Garbage written by a proxy, or only proxies: the peer.
    assert client_address("10.0.0.2", "198.51.100.1, unknown", trusted) == "10.0.0.2"
    assert client_address("10.0.0.2", "10.0.0.3", trusted) == "10.0.0.2"


def test_connections_are_counted_per_key_up_to_the_limit() -> None:
    count = ConnectionCount(limit=2)
    assert count.open("a") and count.open("a") and not count.open("a")
    assert count.open("b")
    count.close("a")
    assert count.open("a") and not count.open("a")
    for _ in range(3):
        count.close("b")  # closing more than was opened never gives a key more than its limit
    assert count.open("b") and count.open("b") and not count.open("b")
