#!/usr/bin/env bash
# wait-for-http.sh URL SECONDS PID LOG: waits until URL answers, or fails early if
# process PID has exited (then prints the end of LOG).
set -u
url=$1 seconds=$2 pid=$3 log=$4
for _ in $(seq "$seconds"); do
    if curl -sf -o /dev/null "$url"; then exit 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "error: the server for $url stopped while starting; last lines of $log:" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    sleep 1
done
echo "error: $url did not answer within $seconds s; see $log" >&2
exit 1
