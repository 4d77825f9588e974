#!/bin/sh
# Writes the proxies nginx believes X-Forwarded-For from: one
# `set_real_ip_from` per address or CIDR range in NGINX_TRUSTED_PROXIES
# (spaces or commas between them; empty: no one, the peer is the client) into
# the file the template includes, NGINX_REAL_IP_CONF. The nginx image runs it
# at start from /docker-entrypoint.d/ (compose mounts it there); the tests run
# it the same way. Anything but an address or range stops nginx's start.
set -euf  # -f: no file-name expansion of the list
out="${1:-${NGINX_REAL_IP_CONF:?set NGINX_REAL_IP_CONF (the file assistant.conf.template includes)}}"
lines=""
for range in $(printf '%s' "${NGINX_TRUSTED_PROXIES:-}" | tr ',' ' '); do
    case "$range" in
        *[!0-9A-Fa-f.:/]* | "" | /* | */*/*)
            echo "error: NGINX_TRUSTED_PROXIES: '$range' is not an address or CIDR range (e.g. 10.0.0.0/8)" >&2
            exit 1 ;;
    esac
    lines="${lines}set_real_ip_from ${range};
"
done
printf '# Written by real-ip.sh from NGINX_TRUSTED_PROXIES.\n%s' "$lines" > "$out"
