# make run  — set up .venv, the database, the curriculum and a demo province; serve on :5000
# make test — set up .venv with the dev tools; ruff and the layering contracts (lint-imports), then pytest (SQLite; again on PostgreSQL
#             when LMS_TEST_POSTGRES_URL is set)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint deps dev-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

deps: $(VENV)/.runtime
dev-deps: $(VENV)/.dev

run: deps
	$(FLASK) lms init
	$(FLASK) lms setup
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: dev-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: dev-deps lint
	$(BIN)/python -m pytest
	@if [ -n "$$LMS_TEST_POSTGRES_URL" ]; then \
		echo "== the suite again on PostgreSQL =="; \
		LMS_TEST_DB=postgres $(BIN)/python -m pytest -m "not e2e"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
