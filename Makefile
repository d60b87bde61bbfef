# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
FLASK := $(BIN)/flask --app catsdogs
TRAIN_VENV ?= .venv-train

.PHONY: run test train evaluate lint bench init-db clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.serve: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,train]'
	touch $@ $(VENV)/.serve

$(TRAIN_VENV)/.train: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/pip install --quiet -e '.[train]'
	touch $@

run: $(VENV)/.serve  ## install serving dependencies, set up the database, serve on HOST:PORT
	$(FLASK) init-db
	$(FLASK) api-token
	$(BIN)/waitress-serve --host $(HOST) --port $(PORT) --threads 8 --call catsdogs:create_app

test: $(VENV)/.test  ## install test dependencies and run the whole suite
	$(BIN)/ruff check catsdogs tests wsgi.py
	$(BIN)/pytest

train: $(TRAIN_VENV)/.train  ## train, export and evaluate the shipped model (about 20 min on 2 cores)
	$(TRAIN_VENV)/bin/python -m catsdogs.training --log-file train.log train $(TRAIN_ARGS)

evaluate: $(TRAIN_VENV)/.train  ## recompute the model card's figures from the shipped ONNX file
	$(TRAIN_VENV)/bin/python -m catsdogs.training evaluate $(EVALUATE_ARGS)

lint: $(VENV)/.test
	$(BIN)/ruff check catsdogs tests wsgi.py
	$(BIN)/ruff format --check catsdogs tests wsgi.py

init-db: $(VENV)/.serve
	$(FLASK) init-db

clean:
	rm -rf $(VENV) $(TRAIN_VENV) build *.egg-info .pytest_cache
