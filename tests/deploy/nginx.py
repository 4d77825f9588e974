"""deploy/nginx/assistant.conf.template as the nginx image renders it (its
${...} from the environment, real-ip.sh run first), in a main configuration
that keeps every file nginx writes in one folder: for Debian's nginx, run
as a normal process by the tests."""

from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
from pathlib import Path

import pytest

from knowledge_base.db import PROJECT_ROOT

NGINX_DIR = PROJECT_ROOT / "deploy" / "nginx"
SBIN_PATH = f"{os.environ.get('PATH', '')}:/usr/local/sbin:/usr/sbin:/sbin"


def nginx_binary() -> str:
    found = shutil.which("nginx", path=SBIN_PATH)
    if found is None:
        pytest.skip("nginx is not installed (`apt-get install nginx`; .ci/run installs it when root)")
    return found


def write_real_ip(path: Path, trusted_proxies: str) -> subprocess.CompletedProcess[str]:
    """deploy/nginx/real-ip.sh, as the nginx image runs it at start."""
    env = {"PATH": os.environ["PATH"], "NGINX_TRUSTED_PROXIES": trusted_proxies, "NGINX_REAL_IP_CONF": str(path)}
    return subprocess.run(["sh", str(NGINX_DIR / "real-ip.sh")], env=env, capture_output=True, text=True, timeout=30)


def render_nginx(folder: Path, port: int, replicas: tuple[str, str], trusted_proxies: str = "") -> Path:
    """The main configuration for nginx listening on 127.0.0.1:`port` in front
    of `replicas` (host:port), believing X-Forwarded-For from `trusted_proxies`."""
    real_ip = folder / "real-ip.conf"
    result = write_real_ip(real_ip, trusted_proxies)
    assert result.returncode == 0, result.stderr
    template = (NGINX_DIR / "assistant.conf.template").read_text()
    site = string.Template(template).safe_substitute(
        NGINX_LISTEN=f"127.0.0.1:{port}", NGINX_ACCESS_LOG=str(folder / "access.log"),
        RASA_1=replicas[0], RASA_2=replicas[1], NGINX_REAL_IP_CONF=str(real_ip))
    assert not re.search(r"\$\{[A-Z_0-9]+\}", site), "a variable of the template was left unset"
    (folder / "assistant.conf").write_text(site)
    temp = {kind: folder / kind for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    main = folder / "nginx.conf"
    main.write_text(f"""worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
{"".join(f"    {kind}_temp_path {path};{chr(10)}" for kind, path in temp.items())}    include {folder}/assistant.conf;
}}
""")
    return main
