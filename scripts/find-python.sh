#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 runs on Python 3.8-3.10).
# Looks on PATH first, then in pyenv. Fails with what to install if there is none.
set -u

is_python_310() {
    [ -n "$1" ] && [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null
}

candidates=()
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv which python3.10 2>/dev/null)")
    candidates+=("$(pyenv root)"/versions/3.10.*/bin/python3.10)
fi
candidates+=("${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python3.10)

for candidate in "${candidates[@]}"; do
    if is_python_310 "$candidate"; then
        echo "$candidate"
        exit 0
    fi
done

cat >&2 <<'MSG'
error: Python 3.10 was not found (on PATH as python3.10, or in pyenv).
This project needs Python 3.10: Rasa Open Source 3.6 does not run on 3.11 or later.
Install it, for example with `pyenv install 3.10` or your system's python3.10 package,
then run make again.
MSG
exit 1
