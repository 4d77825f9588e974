#!/usr/bin/env python
"""Exit 0 when the Rasa server on RASA_PORT has its model loaded, 1 otherwise.

The image's health check and Kubernetes' readiness probe. Rasa answers `GET /`
even when its model failed to load; `GET /status` names the loaded model, but
needs the API token, which only the environment holds (a probe's httpHeaders
would put it in the manifest). Without RASA_AUTH_TOKEN (API off) it checks
`GET /` only.
"""

import json
import os
import sys
import urllib.request

base = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
token = os.environ.get("RASA_AUTH_TOKEN")
try:
    if not token:
        with urllib.request.urlopen(f"{base}/", timeout=4) as response:
            sys.exit(0 if response.status == 200 else 1)
    request = urllib.request.Request(f"{base}/status", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=4) as response:
        status = json.load(response)
except (OSError, ValueError) as error:
    print(f"not ready: {error}", file=sys.stderr)
    sys.exit(1)
if not status.get("model_id"):
    print("not ready: no model loaded", file=sys.stderr)
    sys.exit(1)
