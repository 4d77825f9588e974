#!/usr/bin/env bash
# Builds a stand-in for python:3.10-slim-bookworm where no registry can be
# pulled from: Debian 12 (debootstrap, from Debian's own packages) with this
# machine's CPython 3.10 copied into /usr/local, as the official image lays it
# out, imported into dockerd with `docker import`.
#
# Usage: deploy/docker/python-standin.sh IMAGE_NAME [PYTHON_PREFIX]
#   PYTHON_PREFIX: a CPython 3.10 installation (default: the one that runs
#   .venv, i.e. sys.base_prefix). Needs root, debootstrap and a running dockerd.
# Skipped when dockerd already has IMAGE_NAME (remove it to rebuild).
set -euo pipefail
image="${1:?usage: python-standin.sh IMAGE_NAME [PYTHON_PREFIX]}"
prefix="${2:-}"
docker="${DOCKER:-docker}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if $docker image inspect "$image" > /dev/null 2>&1; then
    echo "stand-in $image already in dockerd"
    exit 0
fi
if [ -z "$prefix" ]; then
    prefix="$(python3.10 -c 'import sys; print(sys.base_prefix)')"
fi
"$prefix/bin/python3.10" -c 'import sys; assert sys.version_info[:2] == (3, 10), sys.version' \
    || { echo "error: $prefix is not a Python 3.10 installation" >&2; exit 1; }

root="$(mktemp -d /var/tmp/python-standin.XXXXXX)"
trap 'rm -rf "$root"' EXIT
# What python:3.10-slim-bookworm has besides minbase: certificates, time zones,
# and the libraries CPython's own modules link to (ssl, sqlite3, ctypes, ...).
debootstrap --variant=minbase \
    --include=ca-certificates,netbase,tzdata,libssl3,libffi8,libsqlite3-0,libbz2-1.0,liblzma5,zlib1g,libreadline8,libncursesw6,libuuid1,libexpat1,libgdbm6,libnsl2,libtirpc3,libcrypt1 \
    bookworm "$root" "$mirror" > "$root.debootstrap.log" 2>&1 \
    || { tail -20 "$root.debootstrap.log" >&2; rm -f "$root.debootstrap.log"; exit 1; }
rm -f "$root.debootstrap.log"

# CPython as the official image has it: /usr/local/bin/python3.10, its
# standard library in /usr/local/lib/python3.10 (without the host's
# site-packages, tests, Tk and IDLE) and libpython found through ldconfig.
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/python3.10"
cp -a "$prefix/bin/python3.10" "$root/usr/local/bin/"
cp -a "$prefix"/lib/libpython3.10.so* "$root/usr/local/lib/"
tar -C "$prefix/lib/python3.10" --exclude=./site-packages --exclude=./test --exclude=./tkinter \
    --exclude=./idlelib --exclude=./turtledemo --exclude='__pycache__' -cf - . \
    | tar -C "$root/usr/local/lib/python3.10" -xf -
mkdir -p "$root/usr/local/lib/python3.10/site-packages"
for name in python3 python; do ln -s python3.10 "$root/usr/local/bin/$name"; done
chroot "$root" /sbin/ldconfig
chroot "$root" /usr/local/bin/python3 -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, ensurepip, venv' \
    || { echo "error: the copied Python does not run in the stand-in" >&2; exit 1; }
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

tar --numeric-owner -C "$root" -cf - . | $docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    - "$image" > /dev/null
echo "stand-in $image imported"
