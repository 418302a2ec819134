# The two commands of the README contract: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 7860

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run test test-fast install eval bench browser clean

run: $(VENV)/.installed
	$(BIN)/cga corpus sync
	$(BIN)/cga ingest
	$(BIN)/cga serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test browser
	$(BIN)/python -m pytest --durations=15 $(PYTEST_ARGS)

# The suite without the browser and the slow end-to-end tests: for the edit-test loop.
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

eval: $(VENV)/.installed
	$(BIN)/cga corpus sync
	$(BIN)/cga ingest
	$(BIN)/cga eval

install: $(VENV)/.installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

# End-to-end tests drive Debian's Chromium; Playwright's own browser download cannot work offline.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf $(VENV) data .cache
