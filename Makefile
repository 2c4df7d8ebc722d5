# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PLUGINS := target-mailchimp
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false
export MELTANO_DISABLE_TRACKING := true

.PHONY: install test lint unit e2e demo sandbox clean

$(VENV)/.installed: requirements-dev.txt sandbox/pyproject.toml $(addsuffix /pyproject.toml,$(PLUGINS))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

.meltano/.installed: $(VENV)/.installed meltano.yml
	$(BIN)/meltano install
	touch $@

install: .meltano/.installed

lint: $(VENV)/.installed
	$(BIN)/ruff check sandbox $(PLUGINS) tests
	$(BIN)/ruff format --check sandbox $(PLUGINS) tests

unit: $(VENV)/.installed
	$(BIN)/pytest sandbox/tests $(addsuffix /tests,$(PLUGINS))

e2e: install
	$(BIN)/pytest tests

test: lint unit e2e

demo: install
	PATH="$(BIN):$$PATH" bash sandbox/demo.sh

clean:
	rm -rf $(VENV) .meltano
