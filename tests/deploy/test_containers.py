"""The deployment, for real, as far as this machine allows: dockerd (Debian's
docker.io) with host networking only, both images built offline from the
wheelhouse on a stand-in for python:3.10-slim-bookworm (debootstrap, this
machine's Python 3.10), the knowledge-base job against the host's PostgreSQL,
two action servers and two Rasa replicas (host's PostgreSQL and Redis) behind
Debian's nginx with deploy/nginx/assistant.conf.template, all on loopback.

Needs root and `apt-get install docker.io debootstrap nginx` (.ci/run installs
them); skips otherwise. The figures (image sizes, build time, start-up to the
first answer, the kill) go to build/reports/deploy.json.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

import pytest

from harness import free_port, in_schema, postgres_schema, start_group, stop_group
from knowledge_base.db import PROJECT_ROOT
from tests.conftest import POSTGRES_URL
from tests.deploy.nginx import render_nginx
from tests.e2e.conftest import RunningServer, reply_texts, text_of, triage_payloads
from tests.e2e.test_socketio_access import SocketClient

pytestmark = [pytest.mark.postgres, pytest.mark.deploy]

SBIN_PATH = f"{os.environ.get('PATH', '')}:/usr/local/sbin:/usr/sbin:/sbin"
TOOLS = {"dockerd": "docker.io", "docker": "docker.io", "debootstrap": "debootstrap", "nginx": "nginx"}
MISSING = sorted({package for tool, package in TOOLS.items() if not shutil.which(tool, path=SBIN_PATH)})
if os.geteuid() != 0:
    pytest.skip("the container test needs root (dockerd, debootstrap)", allow_module_level=True)
if MISSING:
    pytest.skip(f"the container test needs `apt-get install {' '.join(MISSING)}` (.ci/run installs them when root)",
                allow_module_level=True)

# dockerd of its own: its socket, and a data root kept between runs so that the
# stand-in base image and the build cache are reused (a new machine builds them).
DOCKER_DIR = Path("/run/leg-cramps-docker")
DOCKER_SOCKET = DOCKER_DIR / "docker.sock"
DOCKER_DATA = Path("/var/lib/leg-cramps-docker")
STAND_IN = "leg-cramps/python-standin:3.10-slim-bookworm"
REPOSITORY, TAG = "leg-cramps", "test"
REDIS = "redis://127.0.0.1:6379/4"
REPORT = PROJECT_ROOT / "build" / "reports" / "deploy.json"
MODEL = PROJECT_ROOT / "models" / "leg-cramps.tar.gz"
ORIGIN = "https://www.clinic.example"
SECRET_VARIABLES = ("RASA_AUTH_TOKEN", "ACTION_SERVER_SECRET", "SOCKETIO_SESSION_KEY", "TRACKER_STORE_URL",
                    "KB_DATABASE_URL", "REDIS_URL")
figures: dict[str, object] = {}


def docker_env() -> dict[str, str]:
    return {**os.environ, "DOCKER_HOST": f"unix://{DOCKER_SOCKET}", "PATH": SBIN_PATH}


def docker(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
           check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["docker", *args], env=env or docker_env(), capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        pytest.fail(f"docker {' '.join(args[:3])} ...: exit {result.returncode}\n{result.stderr[-3000:]}")
    return result


def daemon_answers() -> bool:
    return docker("info", check=False, timeout=30).returncode == 0


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """dockerd with no bridge and no iptables rules: every container uses the
    host's network and only its loopback ports. One already running on the
    socket (an earlier run's) is used and left running."""
    if daemon_answers():
        yield
        return
    DOCKER_DIR.mkdir(parents=True, exist_ok=True)
    log = tmp_path_factory.mktemp("dockerd") / "dockerd.log"
    process = start_group(
        [str(shutil.which("dockerd", path=SBIN_PATH)), "--host", f"unix://{DOCKER_SOCKET}",
         "--data-root", str(DOCKER_DATA), "--exec-root", str(DOCKER_DIR / "exec"),
         "--pidfile", str(DOCKER_DIR / "docker.pid"), "--bridge=none", "--iptables=false",
         "--ip-forward=false", "--ip-masq=false"], PROJECT_ROOT, docker_env(), log)
    try:
        deadline = time.monotonic() + 60
        while not daemon_answers():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dockerd did not start:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield
    finally:
        stop_group(process, signal.SIGTERM, seconds=60)


@dataclass
class Images:
    rasa: str
    actions: str


@pytest.fixture(scope="module")
def images(dockerd: None) -> Images:
    """The stand-in base image (reused when dockerd has it), then `make image`'s
    script with it as PYTHON_IMAGE."""
    start = time.monotonic()
    result = subprocess.run([str(PROJECT_ROOT / "deploy" / "docker" / "python-standin.sh"), STAND_IN,
                             sys.base_prefix], env=docker_env(), capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    figures["stand_in"] = {"seconds": round(time.monotonic() - start, 1), "said": result.stdout.strip()}
    start = time.monotonic()
    result = subprocess.run([str(PROJECT_ROOT / "deploy" / "docker" / "build-images.sh")], cwd=PROJECT_ROOT,
                            env={**docker_env(), "PY": sys.executable, "PYTHON_IMAGE": STAND_IN,
                                 "IMAGE_REPOSITORY": REPOSITORY, "IMAGE_TAG": TAG},
                            capture_output=True, text=True, timeout=2400)
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    figures["build"] = {"seconds": round(time.monotonic() - start, 1), "said": result.stdout.strip()}
    built = Images(rasa=f"{REPOSITORY}/rasa:{TAG}", actions=f"{REPOSITORY}/actions:{TAG}")
    figures["image_mb"] = {name: round(int(docker("image", "inspect", "--format", "{{.Size}}", image).stdout) / 1e6)
                           for name, image in vars(built).items()}
    # Earlier runs' images, untagged since. Only old ones: the build stages
    # (the installed venvs) are untagged too, and are the next build's cache.
    docker("image", "prune", "--force", "--filter", "until=168h", timeout=300)
    return built


@dataclass
class Deployment:
    images: Images
    replicas: list[RunningServer]
    containers: dict[str, str]
    nginx: RunningServer
    access_log: Path
    env: dict[str, str]
    logs: Path
    log_lines_read: int = 0
    started: dict[str, float] = field(default_factory=dict)

    def new_log_lines(self, expected: int = 0) -> list[str]:
        """The nginx access-log lines written since the last call; waits a
        little for `expected` of them (nginx logs a request after answering it)."""
        deadline = time.monotonic() + 10
        while True:
            lines = self.access_log.read_text().splitlines()
            new = lines[self.log_lines_read:]
            if len(new) >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.log_lines_read = len(lines)
        return new

    def replica_of(self, port_text: str) -> RunningServer:
        return next(server for server in self.replicas if port_text.endswith(f":{server.rasa_port}"))


def upstreams(lines: list[str]) -> list[str]:
    """The replica(s) nginx passed each request to, in order ("a, b" when it tried a first)."""
    return [line.split(" upstream=", 1)[1].split(" upstream_status=", 1)[0] for line in lines]


def container_options(name: str, memory: str) -> list[str]:
    # As deploy/compose.yaml and the Kubernetes manifests run them: read-only
    # root, /tmp in memory, no capabilities, the measured memory limit.
    return ["run", "--detach", "--name", name, "--network", "host", "--read-only", "--tmpfs", "/tmp",
            "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--memory", memory]


def passed(*names: str) -> list[str]:
    """`-e NAME` without a value: docker passes the variable from its own
    environment, so secrets never appear on a command line."""
    return [option for name in names for option in ("-e", name)]


def answered(server: RunningServer, sender: str) -> bool:
    try:
        return bool(server.say(sender, "hi"))
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="module")
def deployment(images: Images, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("deployment")
    suffix = uuid.uuid4().hex[:8]  # the containers' names
    schemas = ExitStack()
    kb_schema = schemas.enter_context(postgres_schema("deploy_kb", POSTGRES_URL))
    tracker_schema = schemas.enter_context(postgres_schema("deploy_tracker", POSTGRES_URL))
    token = secrets.token_hex(16)
    env = {**docker_env(),
           "KB_DATABASE_URL": in_schema(POSTGRES_URL, kb_schema),
           "TRACKER_STORE_URL": in_schema(POSTGRES_URL.replace("+psycopg2", ""), tracker_schema),
           "REDIS_URL": REDIS, "RASA_AUTH_TOKEN": token, "ACTION_SERVER_SECRET": secrets.token_urlsafe(32),
           "SOCKETIO_SESSION_KEY": secrets.token_urlsafe(32)}
    replicas = [RunningServer(url="", token=token, rasa_port=free_port(), action_port=free_port(),
                              tracker_store=None, channel_env={}) for _ in range(2)]
    containers: dict[str, str] = {}
    nginx = None
    try:
        # The knowledge-base job, as compose's kb-build and the Kubernetes Job run it.
        job = subprocess.run(["docker", "run", "--rm", "--network", "host", "--read-only", "--tmpfs", "/tmp",
                              "--cap-drop", "ALL", *passed("KB_DATABASE_URL"), images.actions,
                              "python", "-m", "knowledge_base", "build"],
                             env=env, capture_output=True, text=True, timeout=300)
        assert job.returncode == 0 and "knowledge base built" in job.stdout, job.stdout + job.stderr
        for number, server in enumerate(replicas, 1):
            name = f"leg-cramps-test-actions-{number}-{suffix}"
            docker(*container_options(name, "256m"), "-e", "ACTION_HOST=127.0.0.1",
                   "-e", f"ACTION_PORT={server.action_port}", *passed("KB_DATABASE_URL", "ACTION_SERVER_SECRET"),
                   images.actions, env=env)
            containers[f"actions-{number}"] = name
        started = time.monotonic()
        for number, server in enumerate(replicas, 1):
            server.url = f"http://127.0.0.1:{server.rasa_port}"
            name = f"leg-cramps-test-rasa-{number}-{suffix}"
            docker(*container_options(name, "1536m"), "-e", "RASA_HOST=127.0.0.1",
                   "-e", f"RASA_PORT={server.rasa_port}", "-e", f"RASA_CORS_ORIGINS={ORIGIN}",
                   "-e", f"ACTION_SERVER_URL=http://127.0.0.1:{server.action_port}/webhook",
                   "-e", "CLINIC_NAME=the test clinic", "-e", "CLINIC_PHONE=555-0123",
                   *passed(*SECRET_VARIABLES), images.rasa, env=env)
            containers[f"rasa-{number}"] = name
        first_answer = {}
        deadline = started + 300
        for number, server in enumerate(replicas, 1):
            while not answered(server, f"start-{uuid.uuid4().hex}"):
                running = docker("inspect", "--format", "{{.State.Running}}", containers[f"rasa-{number}"]).stdout
                if running.strip() != "true" or time.monotonic() > deadline:
                    pytest.fail(f"rasa-{number} did not answer:\n"
                                f"{docker('logs', containers[f'rasa-{number}'], check=False).stderr[-3000:]}")
                time.sleep(0.5)
            first_answer[f"rasa-{number}"] = round(time.monotonic() - started, 1)
        # Both replicas started together on this machine's 2 cores.
        figures["start_to_first_answer_s"] = first_answer

        nginx_port = free_port()
        main = render_nginx(folder, nginx_port, (f"127.0.0.1:{replicas[0].rasa_port}",
                                                 f"127.0.0.1:{replicas[1].rasa_port}"))
        nginx_log = (folder / "nginx.out").open("w")
        nginx = subprocess.Popen([shutil.which("nginx", path=SBIN_PATH), "-p", str(folder), "-c", str(main),
                                  "-g", "daemon off;"], stdout=nginx_log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        front = RunningServer(url=f"http://127.0.0.1:{nginx_port}", token=token, rasa_port=nginx_port,
                              action_port=0, tracker_store=None, channel_env={"RASA_CORS_ORIGINS": ORIGIN})
        deadline = time.monotonic() + 30
        while not answered(front, f"nginx-{uuid.uuid4().hex}"):
            if nginx.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nginx did not start:\n{(folder / 'error.log').read_text()[-3000:]}")
            time.sleep(0.3)
        deployment = Deployment(images=images, replicas=replicas, containers=containers, nginx=front,
                                access_log=folder / "access.log", env=env, logs=folder)
        deployment.new_log_lines(expected=1)
        yield deployment
    finally:
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)  # graceful stop
            nginx.wait(timeout=30)
        for name in containers.values():
            logs = docker("logs", name, check=False)
            (folder / f"{name}.log").write_text(logs.stdout + logs.stderr)
            docker("rm", "--force", name, check=False)
        schemas.close()
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps(figures, indent=2) + "\n")


def test_the_images_run_as_non_root_with_labels_health_checks_and_no_secrets(images: Images) -> None:
    model_sha256 = sha256(MODEL.read_bytes()).hexdigest()
    for image in (images.rasa, images.actions):
        config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", image).stdout)
        assert config["User"] == "10001:10001"
        assert config["Healthcheck"]["Test"], image
        assert config["Labels"]["org.opencontainers.image.version"] not in ("", "unknown")
        assert config["Labels"]["org.clinic.assistant.model.sha256"] == model_sha256
        names = {entry.split("=", 1)[0] for entry in config["Env"]}
        assert not names & {*SECRET_VARIABLES, "SOCKETIO_JWT_KEY", "SLACK_BOT_TOKEN", "TELEGRAM_TOKEN"}, image
    # The spaCy pipeline is built into the image: the server, on a read-only root, never writes it.
    history = docker("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}", images.rasa).stdout
    assert "python -m cramp_nlu.pipeline" in history


def test_both_replicas_and_action_servers_report_healthy(deployment: Deployment) -> None:
    deadline = time.monotonic() + 90
    status: dict[str, str] = {}
    while time.monotonic() < deadline:
        status = {role: docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
                  for role, name in deployment.containers.items()}
        if set(status.values()) == {"healthy"}:
            break
        time.sleep(2)
    assert set(status.values()) == {"healthy"}, status


def test_no_secret_is_on_any_command_line_on_the_host(deployment: Deployment) -> None:
    command_lines = [path.read_bytes() for path in Path("/proc").glob("[0-9]*/cmdline") if path.exists()]
    assert any(b"channels.server" in line for line in command_lines)  # the containers' servers are among them
    for name in ("RASA_AUTH_TOKEN", "ACTION_SERVER_SECRET", "SOCKETIO_SESSION_KEY"):
        assert not any(deployment.env[name].encode() in line for line in command_lines), name


def test_a_conversation_through_nginx_lands_on_both_replicas_and_keeps_its_slots(deployment: Deployment) -> None:
    front, sender = deployment.nginx, f"deploy-{uuid.uuid4().hex}"
    assert "one safety question" in reply_texts(front.say(sender, "I get cramps in my calves at night"))
    assert "one safety question" in reply_texts(front.say(sender, "about once a week"))
    answer = reply_texts(front.say(sender, "none of these"))
    assert "the most likely causes are" in answer and "calf" in answer
    served = upstreams(deployment.new_log_lines(expected=3))
    assert len(served) == 3
    assert {deployment.replica_of(port).rasa_port for port in served} == {r.rasa_port for r in deployment.replicas}
    for replica in deployment.replicas:
        slots = replica.tracker(sender)["slots"]
        assert (slots["cramp_location"], slots["cramp_timing"], slots["cramp_frequency"], slots["triage_level"]) == (
            "calf", "night", "weekly", "self_care")


def test_the_http_api_is_not_reachable_through_nginx(deployment: Deployment) -> None:
    url = f"{deployment.nginx.url}/conversations/anyone/tracker"
    request = urllib.request.Request(url, headers=deployment.nginx.auth)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404
    deployment.new_log_lines(expected=1)


def test_a_web_chat_through_nginx_is_sticky_and_survives_a_reload(deployment: Deployment) -> None:
    first = SocketClient(deployment.nginx, ORIGIN, token=None)
    session = first.request_session()
    first.say("my calves cramp at night")
    assert first.replies()
    first.close()
    again = SocketClient(deployment.nginx, ORIGIN, token=None)  # the page reloaded
    assert again.request_session(session) == session
    again.say("now and then")
    assert again.replies()
    again.close()
    sockets = [line for line in deployment.new_log_lines(expected=2) if "/socket.io/" in line]
    assert len(sockets) == 2 and all('" 101 ' in line for line in sockets), sockets
    assert len(set(upstreams(sockets))) == 1, "both connections of one browser on one replica"
    events = deployment.replicas[0].tracker(session)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == ["my calves cramp at night", "now and then"]
    # Should that replica go, the other takes the session over: both sign with SOCKETIO_SESSION_KEY.
    other = next(r for r in deployment.replicas if r is not deployment.replica_of(upstreams(sockets)[0]))
    elsewhere = SocketClient(other, ORIGIN, token=None)
    assert elsewhere.request_session(session) == session
    elsewhere.close()


def test_a_replica_killed_mid_conversation_the_other_answers_with_the_conversation_intact(
        deployment: Deployment) -> None:
    front, sender = deployment.nginx, f"kill-{uuid.uuid4().hex}"
    front.say(sender, "I get cramps in my calves at night")
    assert "one safety question" in reply_texts(front.say(sender, "about once a week"))
    last = deployment.replica_of(upstreams(deployment.new_log_lines(expected=2))[-1])
    # Kill the replica that did not answer the last turn: the one nginx's round robin picks next.
    victim_number = next(n for n, r in enumerate(deployment.replicas, 1) if r is not last)
    victim = deployment.containers[f"rasa-{victim_number}"]
    killed = time.monotonic()
    docker("kill", victim)
    answer = reply_texts(front.say(sender, "none of these"))
    answer_seconds = round(time.monotonic() - killed, 2)
    assert "the most likely causes are" in answer and "calf" in answer
    emergency = front.say(sender, "now my calf is swollen and I can't breathe")
    assert text_of(emergency).startswith("⚠️ Call 911 now")
    assert {"triage_level": "emergency", "banner": "Call 911 now", "call_number": "911"} in triage_payloads(
        emergency)
    served = upstreams(deployment.new_log_lines(expected=2))
    assert len(served) == 2 and all(route.split(", ")[-1].endswith(f":{last.rasa_port}") for route in served), served
    assert docker("inspect", "--format", "{{.State.Running}}", victim).stdout.strip() == "false"
    events = last.tracker(sender)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == [
        "I get cramps in my calves at night", "about once a week", "none of these",
        "now my calf is swollen and I can't breathe"]
    assert last.tracker(sender)["slots"]["triage_level"] == "emergency"
    figures["kill"] = {"killed": f"rasa-{victim_number}", "next_answer_s": answer_seconds,
                       "routes_after_kill": served, "answered_by": f"127.0.0.1:{last.rasa_port}"}
