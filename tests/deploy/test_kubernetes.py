"""deploy/kubernetes/, offline: `kubectl kustomize` renders the base and the
production overlay, every rendered object validates against the Kubernetes
1.30 schemas (kubernetes-validate, strict: unknown fields are errors), and the
objects say what the deployment needs (replicas, probes on the real
endpoints, the benchmark's memory, autoscaling, disruption budget, sticky
socket.io, every variable from a ConfigMap or the Secret, the nightly purge,
the Rasa pods' NetworkPolicy, no placeholder phone number)."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge_base.db import PROJECT_ROOT
from tests.runtime.test_placeholder_phone import EXPOSED, start_check
from tests.test_supply_chain import makefile_rule

pytestmark = pytest.mark.deploy

KUBERNETES = PROJECT_ROOT / "deploy" / "kubernetes"
PRODUCTION = KUBERNETES / "overlays" / "production"
# kubernetes-validate's pins conflict with Rasa's: `make test` installs them into a venv of their own.
VALIDATOR = PROJECT_ROOT / "build" / "kube-validate" / "bin" / "kubernetes-validate"
KUBERNETES_VERSION = "1.30.0"
BENCH_RESULTS = PROJECT_ROOT / "bench" / "results" / "results.json"
SECRET_NAME = "leg-cramps-secrets"
# What only `make chat`, `make web` or a single-host `make serve` reads: not part of the cluster's pods.
LOCAL_ONLY = {"CHAT_PORT", "CHAT_ACTION_PORT", "WEB_PORT", "WIDGET_SERVER_URL", "STAFF_TRACKER_STORE_URL",
              "SANIC_WORKERS", "SLACK_API_URL", "TELEGRAM_API_URL"}
ACTION_SERVER_ONLY = {"ACTION_HOST", "ACTION_PORT"}
# Set by the start scripts from another variable (SANIC_HOST from ACTION_HOST), never by a deployment.
DERIVED = {"SANIC_HOST"}
# What builds the images or runs compose's own PostgreSQL and Redis.
DEPLOYMENT_TOOLS = {"IMAGE_REPOSITORY", "IMAGE_TAG", "PYTHON_IMAGE", "POSTGRES_PASSWORD", "REDIS_PASSWORD",
                    "ASSISTANT_HTTP_PORT", "NGINX_TRUSTED_PROXIES", "ASSISTANT_SUBNET"}
# Read by the purge CronJob only.
PURGE_ONLY = {"PURGE_DAYS"}
# Never in a ConfigMap: credentials, and URLs that carry them.
SECRETS = {"RASA_AUTH_TOKEN", "RASA_REST_TOKEN", "POSTGRES_PASSWORD", "REDIS_PASSWORD",
           "ACTION_SERVER_SECRET", "SOCKETIO_SESSION_KEY", "SOCKETIO_JWT_KEY", "SLACK_BOT_TOKEN",
           "SLACK_SIGNING_SECRET", "TELEGRAM_TOKEN", "TELEGRAM_SECRET_TOKEN", "TRACKER_STORE_URL", "KB_DATABASE_URL",
           "REDIS_URL"}


def render(directory: Path) -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (it renders kustomize): install it from your platform's packages")
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def validate(rendered: str, folder: Path) -> subprocess.CompletedProcess[str]:
    if not VALIDATOR.exists():
        pytest.skip(f"{VALIDATOR} is missing: `make test` installs requirements/kubernetes-validate.txt there")
    path = folder / "rendered.yaml"
    path.write_text(rendered)
    return subprocess.run([str(VALIDATOR), "--kubernetes-version", KUBERNETES_VERSION, "--strict", str(path)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def production() -> str:
    return render(PRODUCTION)


@pytest.fixture(scope="module")
def objects(production: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The production overlay's objects by (kind, name)."""
    return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(production) if o}


def container(objects: dict, deployment: str) -> dict[str, Any]:
    return objects[("Deployment", deployment)]["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("directory", [PRODUCTION, KUBERNETES / "base"], ids=["production", "base"])
def test_the_manifests_render_and_validate_against_kubernetes_1_30(directory: Path, tmp_path: Path) -> None:
    rendered = render(directory)
    count = sum(1 for document in yaml.safe_load_all(rendered) if document)
    result = validate(rendered, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(re.findall(r" passed for resource ", result.stdout + result.stderr)) == count >= 10


def test_the_validator_rejects_what_kubernetes_1_30_would(production: str, tmp_path: Path) -> None:
    broken = production.replace("  replicas: 3\n", "  replicas: three\n", 1)
    assert broken != production
    result = validate(broken, tmp_path)
    assert result.returncode != 0 and "replicas" in result.stdout + result.stderr


def test_rasa_runs_replicated_with_probes_on_its_real_endpoints_and_the_measured_memory(objects) -> None:
    deployment = objects[("Deployment", "leg-cramps-rasa")]
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    rasa = container(objects, "leg-cramps-rasa")
    assert rasa["readinessProbe"]["exec"]["command"] == ["rasa-ready"]  # GET /status: the model is loaded
    assert rasa["startupProbe"]["exec"]["command"] == ["rasa-ready"]
    assert rasa["livenessProbe"]["httpGet"]["path"] == "/"  # "Hello from Rasa"
    peak = json.loads(BENCH_RESULTS.read_text())["ours"]["memory"]
    assert mebibytes(rasa["resources"]["requests"]["memory"]) >= peak["rasa_server_peak_mb"]
    assert mebibytes(rasa["resources"]["limits"]["memory"]) >= 1.25 * peak["rasa_server_peak_mb"]
    actions = container(objects, "leg-cramps-actions")
    assert mebibytes(actions["resources"]["limits"]["memory"]) >= 2 * peak["action_server_peak_mb"]
    assert actions["readinessProbe"]["httpGet"]["path"] == "/health"
    for name in ("leg-cramps-rasa", "leg-cramps-actions"):
        pod = objects[("Deployment", name)]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] == 10001
        assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"]


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()
    return int(number) * (1024 if unit == "Gi" else 1) * 1.048576  # in MB, as the benchmark counts


def test_rasa_scales_on_cpu_and_keeps_a_replica_through_disruptions(objects) -> None:
    deployment = objects[("Deployment", "leg-cramps-rasa")]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    autoscaler = objects[("HorizontalPodAutoscaler", "leg-cramps-rasa")]["spec"]
    assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "leg-cramps-rasa"}
    assert autoscaler["minReplicas"] >= 2 and autoscaler["maxReplicas"] > autoscaler["minReplicas"]
    assert autoscaler["metrics"][0]["resource"]["name"] == "cpu"
    assert container(objects, "leg-cramps-rasa")["resources"]["requests"]["cpu"]  # utilisation needs a request
    budget = objects[("PodDisruptionBudget", "leg-cramps-rasa")]["spec"]
    assert budget["minAvailable"] >= 1 and budget["selector"]["matchLabels"].items() <= labels.items()
    service = objects[("Service", "leg-cramps-rasa")]["spec"]
    assert service["selector"].items() <= labels.items()


def test_socketio_is_sticky_by_cookie_and_the_rest_goes_to_any_replica(objects) -> None:
    sticky = objects[("Ingress", "leg-cramps-socketio")]
    assert sticky["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert [p["path"] for p in sticky["spec"]["rules"][0]["http"]["paths"]] == ["/socket.io"]
    webhooks = objects[("Ingress", "leg-cramps-webhooks")]
    assert "nginx.ingress.kubernetes.io/affinity" not in webhooks["metadata"]["annotations"]
    assert [p["path"] for p in webhooks["spec"]["rules"][0]["http"]["paths"]] == ["/webhooks"]
    for ingress in (sticky, webhooks):
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert backend["name"] == "leg-cramps-rasa"
        assert ingress["spec"]["tls"]


def variables_of_env_example() -> set[str]:
    text = (PROJECT_ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_every_variable_comes_from_the_config_map_or_the_secret(objects) -> None:
    config_map = next(o for (kind, _), o in objects.items() if kind == "ConfigMap")
    endpoint_variables = set(re.findall(r"\$\{(\w+)\}", (PROJECT_ROOT / "deploy" / "endpoints.yml").read_text()))
    needed = {
        "leg-cramps-rasa": ((variables_of_env_example() | endpoint_variables)
                             - LOCAL_ONLY - ACTION_SERVER_ONLY - DEPLOYMENT_TOOLS - DERIVED - PURGE_ONLY),
        "leg-cramps-actions": ACTION_SERVER_ONLY | {"KB_DATABASE_URL", "ACTION_SERVER_SECRET", "CLINIC_NAME",
                                                    "CLINIC_PHONE", "CLINIC_BOOKING_URL", "CLINIC_REGION"},
    }
    for deployment, names in needed.items():
        env = {entry["name"]: entry for entry in container(objects, deployment)["env"]}
        assert names <= env.keys(), f"{deployment} lacks {sorted(names - env.keys())}"
        for name, entry in env.items():
            assert "value" not in entry, f"{name}: a literal in the Deployment"
            source = entry["valueFrom"]
            if name in SECRETS:
                assert source["secretKeyRef"] == {**source["secretKeyRef"], "name": SECRET_NAME, "key": name}
            else:
                reference = source["configMapKeyRef"]
                assert reference["name"] == config_map["metadata"]["name"] and name in config_map["data"], name
    assert not SECRETS & config_map["data"].keys()


def test_the_knowledge_base_is_built_by_a_job_from_the_action_server_image(objects) -> None:
    job = objects[("Job", "leg-cramps-kb-build")]["spec"]["template"]["spec"]["containers"][0]
    # args: the image's entrypoint (store-urls, the passwords percent-encoded into the URLs) runs it.
    assert "command" not in job and job["args"] == ["python", "-m", "knowledge_base", "build"]
    assert job["image"] == container(objects, "leg-cramps-actions")["image"]


def test_the_validator_is_installed_with_require_hashes_apart_from_the_project() -> None:
    installs = [line for line in makefile_rule("$(KUBE_VALIDATE)") if "pip install" in line]
    assert [line.split(" -r ")[-1] for line in installs] == ["requirements/pip.txt",
                                                             "requirements/kubernetes-validate.txt"]
    assert all(line.startswith("build/kube-validate/bin/python ") and "--require-hashes" in line
               for line in installs)


def test_only_the_rasa_server_reaches_the_action_server(objects) -> None:
    policy = objects[("NetworkPolicy", "leg-cramps-actions")]["spec"]
    actions = objects[("Deployment", "leg-cramps-actions")]["spec"]["template"]["metadata"]["labels"]
    rasa = objects[("Deployment", "leg-cramps-rasa")]["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= actions.items()
    [rule] = policy["ingress"]
    [source] = rule["from"]
    assert source["podSelector"]["matchLabels"].items() <= rasa.items()
    assert rule["ports"] == [{"protocol": "TCP", "port": 5055}]


def test_old_conversations_are_purged_every_night(objects) -> None:
    cron = objects[("CronJob", "leg-cramps-purge")]["spec"]
    assert cron["concurrencyPolicy"] == "Forbid" and len(cron["schedule"].split()) == 5
    pod = cron["jobTemplate"]["spec"]["template"]["spec"]
    [purge] = pod["containers"]
    assert "command" not in purge and purge["args"] == ["python", "-m", "stores.purge", "--days", "$(PURGE_DAYS)"]
    assert purge["image"] == container(objects, "leg-cramps-rasa")["image"]  # the image with stores/
    env = {entry["name"]: entry["valueFrom"] for entry in purge["env"]}
    config_map = next(o for (kind, _), o in objects.items() if kind == "ConfigMap")
    assert float(config_map["data"][env["PURGE_DAYS"]["configMapKeyRef"]["key"]]) >= 1
    assert env["TRACKER_STORE_URL"] == {e["name"]: e["valueFrom"] for e in container(objects, "leg-cramps-rasa")["env"]
                                        }["TRACKER_STORE_URL"]
    assert pod["securityContext"]["runAsNonRoot"] and purge["securityContext"]["readOnlyRootFilesystem"]


def test_the_rasa_pods_are_reached_only_by_the_ingress_controller_and_reach_only_what_they_use(objects) -> None:
    policy = objects[("NetworkPolicy", "leg-cramps-rasa")]["spec"]
    rasa = objects[("Deployment", "leg-cramps-rasa")]["spec"]["template"]["metadata"]["labels"]
    actions = objects[("Deployment", "leg-cramps-actions")]["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= rasa.items()
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    [rule] = policy["ingress"]
    [source] = rule["from"]
    assert source["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    assert source["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "ingress-nginx"}
    assert rule["ports"] == [{"protocol": "TCP", "port": 5005}]
    # Every egress rule names its ports: nothing else leaves the pods.
    allowed = {(port["protocol"], port["port"]) for rule in policy["egress"] for port in rule["ports"]}
    assert allowed == {("TCP", 5055), ("TCP", 5432), ("TCP", 6379), ("UDP", 53), ("TCP", 53), ("TCP", 443)}
    to_actions = next(rule for rule in policy["egress"] if rule["ports"] == [{"protocol": "TCP", "port": 5055}])
    assert to_actions["to"][0]["podSelector"]["matchLabels"].items() <= actions.items()
    https = next(rule for rule in policy["egress"] if rule["ports"] == [{"protocol": "TCP", "port": 443}])
    assert "10.0.0.0/8" in https["to"][0]["ipBlock"]["except"]


def test_the_rasa_server_trusts_forwarded_addresses_only_where_the_policy_admits_the_controller(objects) -> None:
    config_map = next(o for (kind, _), o in objects.items() if kind == "ConfigMap")
    trusted = config_map["data"]["TRUSTED_PROXIES"].split()
    # Private ranges only: no address on the internet can pass for a proxy.
    assert trusted and all(ipaddress.ip_network(cidr).is_private for cidr in trusted)
    env = {entry["name"] for entry in container(objects, "leg-cramps-rasa")["env"]}
    assert {"TRUSTED_PROXIES", "RASA_REST_TOKEN"} <= env


def test_the_action_server_never_gets_the_rasa_servers_request_size_limit(objects) -> None:
    actions = container(objects, "leg-cramps-actions")
    assert "envFrom" not in actions
    assert "SANIC_REQUEST_MAX_SIZE" not in {entry["name"] for entry in actions["env"]}


@pytest.mark.parametrize("directory", [PRODUCTION, KUBERNETES / "base"], ids=["production", "base"])
def test_the_shipped_phone_number_is_a_set_me_the_start_refuses(directory: Path) -> None:
    rendered = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(render(directory)) if o}
    config_map = next(o for (kind, _), o in rendered.items() if kind == "ConfigMap")
    phone = config_map["data"]["CLINIC_PHONE"]
    assert "555" not in phone and "SET ME" in phone
    result = start_check(**EXPOSED, CLINIC_PHONE=phone)
    assert result.returncode == 1 and "CLINIC_PHONE" in result.stderr


def test_every_secrets_file_the_docs_mention_is_git_ignored() -> None:
    docs = [PROJECT_ROOT / "README.md", PROJECT_ROOT / "deploy" / "compose.yaml",
            *sorted(KUBERNETES.rglob("*.yaml"))]
    mentioned = {name for doc in docs
                 for name in re.findall(r"--(?:from-)?env-file[= ](\S+)", doc.read_text())}
    assert {"secrets.env", "deploy/.env"} <= mentioned
    for path in mentioned | {"deploy/kubernetes/overlays/production/secrets.env"}:
        result = subprocess.run(["git", "check-ignore", "-q", path], cwd=PROJECT_ROOT)
        assert result.returncode == 0, f"{path} is not git-ignored"
