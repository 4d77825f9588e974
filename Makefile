# The project's commands. `make chat` and `make test` do all the set-up they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/leg-cramps.tar.gz
INSTALLED := $(VENV)/.installed
KB_BUILT := build/.kb-built
# kubernetes-validate, for the Kubernetes manifests' test: its pins conflict with
# Rasa's (attrs, jsonschema), so it has a venv of its own.
KUBE_VALIDATE := build/kube-validate/.installed

export RASA_PORT ?= 5005
export ACTION_PORT ?= 5055
# `rasa shell` runs a small server of its own; keep it off RASA_PORT so that
# `make chat` and `make serve` can run side by side.
export CHAT_PORT ?= 5006
# ...and its own action server, off ACTION_PORT for the same reason.
export CHAT_ACTION_PORT ?= 5056
# Conversations: patients' (make serve) and staff's (make chat), kept apart.
export TRACKER_STORE_URL ?= sqlite:///$(CURDIR)/build/conversations/patients.sqlite3
export STAFF_TRACKER_STORE_URL ?= sqlite:///$(CURDIR)/build/conversations/staff.sqlite3
# The demo page of the website widget (make web), and the origins browsers may
# reach the Rasa server from.
export WEB_PORT ?= 5080
export RASA_CORS_ORIGINS ?= http://localhost:$(WEB_PORT) http://127.0.0.1:$(WEB_PORT)
# The secret the Rasa server sends the action server (endpoints.yml); empty:
# scripts/serve.sh and chat.sh make one for each run.
export ACTION_SERVER_SECRET ?=
export RASA_TELEMETRY_ENABLED ?= false
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
export PYTHONWARNINGS ?= ignore::DeprecationWarning

WIDGET_VENDOR := web/widget/vendor/socket.io.min.js
# Its sha384, as a browser's Subresource Integrity writes it.
WIDGET_VENDOR_SRI := web/socket.io.min.js.sha384
KNOWLEDGE_FILES := $(wildcard data/knowledge/*.yml data/knowledge/*.txt)
TRAINING_FILES := config.yml domain.yml $(shell find data -name '*.yml' -not -path 'data/knowledge/*')

.PHONY: help install kb train chat serve web purge bench profile test lint lock clean image

help:
	@echo "make chat   set everything up and talk to the assistant in the terminal"
	@echo "make test   set everything up and run the whole test suite"
	@echo "make serve  run the action server and the Rasa server (REST, socket.io, Slack, Telegram)"
	@echo "make web    serve the website widget's demo page (next to make serve)"
	@echo "make kb     check data/knowledge/ and rebuild the knowledge base"
	@echo "make train  train the model if its inputs changed"
	@echo "make purge DAYS=N  delete every conversation event older than N days (patients and staff)"
	@echo "make bench  latency, throughput, memory, cold start, training time, against rasa init (bench/results/)"
	@echo "make profile  py-spy on both servers under load (USERS=20 SECONDS=20; bench/results/profile-*)"
	@echo "make image  the Rasa server's and the action server's images, built offline (deploy/, README: Deploying)"
	@echo "make lint   ruff and mypy"

# Every file installed is checked against the sha256 hashes in requirements/
# (--require-hashes): first pip, setuptools and wheel, then every dependency
# (--no-deps: the hashed file holds them all, pip check proves it), then the
# project itself, editable; builds use the hashed setuptools (no build isolation).
$(INSTALLED): pyproject.toml requirements/pip.txt requirements/constraints.txt
	@python310=$$(scripts/find-python.sh) && \
	  { [ -x $(PY) ] || $$python310 -m venv $(VENV); }
	$(PY) -m pip install --quiet --require-hashes -r requirements/pip.txt
	$(PY) -m pip install --quiet --require-hashes --no-deps --no-build-isolation -r requirements/constraints.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	@touch $@

install: $(INSTALLED)

# The knowledge base database and the spaCy pipeline, rebuilt when their
# sources change. `make kb` forces the check and build.
$(KB_BUILT): $(INSTALLED) $(KNOWLEDGE_FILES) $(wildcard knowledge_base/*.py) cramp_nlu/pipeline.py
	$(PY) -m knowledge_base build
	$(PY) -m cramp_nlu.pipeline > /dev/null
	@touch $@

kb: $(INSTALLED)
	$(PY) -m knowledge_base build
	$(PY) -m cramp_nlu.pipeline > /dev/null
	@touch $(KB_BUILT)

# Retrain only when the training data, domain, config, vocabulary or the NLU
# code changed since the last model.
$(MODEL): $(KB_BUILT) $(TRAINING_FILES) $(wildcard cramp_nlu/*.py cramp_dialogue/*.py rasa_adapter/*.py)
	$(PY) -m channels.server train --fixed-model-name leg-cramps --out models
	@touch $@

train: $(MODEL)

chat: $(MODEL)
	@scripts/chat.sh

serve: $(MODEL)
	@scripts/serve.sh

# The widget's socket.io client, pinned in web/package-lock.json and served
# from the widget's own folder (no CDN).
web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The copy must have the sha384 recorded in $(WIDGET_VENDOR_SRI); any other
# file stops the build, and make web checks it again before serving it.
check_sri = expected=$$(cat $(WIDGET_VENDOR_SRI)); \
	actual=sha384-$$(openssl dgst -sha384 -binary $(1) | openssl base64 -A); \
	[ "$$actual" = "$$expected" ] || { \
	  echo "error: $(1) is not the socket.io client recorded in $(WIDGET_VENDOR_SRI): its sha384 differs" >&2; \
	  echo "  expected $$expected" >&2; echo "  got      $$actual" >&2; \
	  echo "  (after a deliberate upgrade in web/package-lock.json, record the new value there)" >&2; false; }

$(WIDGET_VENDOR): web/node_modules/.installed $(WIDGET_VENDOR_SRI)
	mkdir -p $(@D)
	cp web/node_modules/socket.io-client/dist/socket.io.min.js $@.tmp
	@$(call check_sri,$@.tmp) || { rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

web: $(WIDGET_VENDOR) $(INSTALLED)
	@$(call check_sri,$(WIDGET_VENDOR))
	@$(PY) scripts/web_server.py

$(KUBE_VALIDATE): requirements/pip.txt requirements/kubernetes-validate.txt
	@python310=$$(scripts/find-python.sh) && \
	  { [ -x build/kube-validate/bin/python ] || $$python310 -m venv build/kube-validate; }
	build/kube-validate/bin/python -m pip install --quiet --require-hashes -r requirements/pip.txt
	build/kube-validate/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/kubernetes-validate.txt
	@touch $@

# Both images (leg-cramps/rasa, leg-cramps/actions), installed only from a
# wheelhouse filled here from requirements/ (see deploy/docker/build-images.sh
# for PYTHON_IMAGE, IMAGE_REPOSITORY, IMAGE_TAG).
image: $(MODEL)
	PY=$(PY) deploy/docker/build-images.sh

# pytest includes tests/deploy/: the Kubernetes manifests (offline) and, as
# root with docker.io, debootstrap and nginx installed, the containers for real.
test: $(MODEL) $(WIDGET_VENDOR) $(KUBE_VALIDATE)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(RASA) data validate --fail-on-warnings
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out build/reports/stories
	$(PY) -m pytest

# The benchmark (not part of make test, which runs a few seconds of it):
# bench/results/. BENCH_BACKEND=postgres for PostgreSQL + Redis; BENCH_ARGS
# for python -m bench.run's options (e.g. --seconds 10 --no-training).
bench: $(MODEL)
	$(PY) -m bench.run $(BENCH_ARGS)

# py-spy on both servers while USERS simulated patients talk to them.
profile: $(MODEL)
	$(PY) -m bench.profile --users $(or $(USERS),20) --seconds $(or $(SECONDS),20)

# Conversations hold health information: delete every event older than DAYS days, patients' and staff's.
purge: $(INSTALLED)
	@[ -n "$(DAYS)" ] || { echo "usage: make purge DAYS=N (deletes every conversation event older than N days)" >&2; exit 2; }
	$(PY) -m stores.purge --days "$(DAYS)"

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m mypy

# Pins what .venv has (pip freeze) with the sha256 of every file PyPI has for
# each version: requirements/pip.txt and requirements/constraints.txt.
lock: $(INSTALLED)
	$(PY) -m pip freeze --all --exclude-editable | $(PY) scripts/lock_hashes.py

clean:
	rm -rf build models .pytest_cache
