#!/usr/bin/env bash
# `make image`: the Rasa server's and the action server's images, built offline.
#
# 1. build/wheelhouse/: every pin of requirements/pip.txt and constraints.txt,
#    fetched by pip on this host (--require-hashes: each file checked against
#    its sha256; the pip cache makes a second run quick), the few sdist-only
#    ones built into wheels; SHA256SUMS lists what is there.
# 2. docker build --network none of both targets of deploy/docker/Dockerfile,
#    which install only from the wheelhouse (--no-index).
#
# Variables: PY (the project's Python, default .venv/bin/python), PYTHON_IMAGE
# (the base image, default python:3.10-slim-bookworm), IMAGE_REPOSITORY
# (default leg-cramps: images leg-cramps/rasa and leg-cramps/actions),
# IMAGE_TAG (default: the project's version and the commit), DOCKER (docker).
set -euo pipefail
cd "$(dirname "$0")/../.."
py="${PY:-.venv/bin/python}"
docker="${DOCKER:-docker}"
model=models/leg-cramps.tar.gz
[ -f "$model" ] || { echo "error: no trained model at $model (make train)" >&2; exit 1; }

version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)"
revision="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then revision="$revision-dirty"; fi
tag="${IMAGE_TAG:-$version-$revision}"
repository="${IMAGE_REPOSITORY:-leg-cramps}"
model_sha256="$(sha256sum "$model" | cut -d' ' -f1)"
model_id="$(tar -xzOf "$model" metadata.json | "$py" -c 'import json, sys; print(json.load(sys.stdin)["model_id"])')"

start=$(date +%s)
# Refilled only when the pins changed (the stamp is the pin files' sha256).
pins="$(cat requirements/pip.txt requirements/constraints.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat build/wheelhouse/.pins 2>/dev/null)" != "$pins" ] \
        || ! (cd build/wheelhouse && sha256sum --quiet --strict -c SHA256SUMS 2> /dev/null); then
    rm -rf build/wheelhouse
    "$py" -m pip wheel --quiet --no-deps --require-hashes --no-build-isolation \
        -r requirements/pip.txt -r requirements/constraints.txt -w build/wheelhouse \
        2> >(grep -v "is ignored: it is neither" >&2)
    (cd build/wheelhouse && sha256sum -- *.whl > SHA256SUMS)
    echo "$pins" > build/wheelhouse/.pins
fi
wheels_done=$(date +%s)

export DOCKER_BUILDKIT=0  # the classic builder: the one every dockerd has, Debian's 20.10 included
for target in actions rasa; do
    "$docker" build --quiet --network none --file deploy/docker/Dockerfile --target "$target" \
        --build-arg PYTHON_IMAGE="${PYTHON_IMAGE:-python:3.10-slim-bookworm}" \
        --build-arg VERSION="$version" --build-arg REVISION="$revision" \
        --build-arg MODEL_SHA256="$model_sha256" --build-arg MODEL_ID="$model_id" \
        --tag "$repository/$target:$tag" . > /dev/null
done
end=$(date +%s)

echo "wheelhouse: $((wheels_done - start)) s; images: $((end - wheels_done)) s"
for target in rasa actions; do
    size=$("$docker" image inspect --format '{{.Size}}' "$repository/$target:$tag")
    echo "$repository/$target:$tag  $((size / 1000000)) MB"
done
