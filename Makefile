# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PLUGINS := target-mailchimp tap-netsuite tap-oracle-fusion tap-acumatica tap-jde tap-exact transforms webhooks
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false
export MELTANO_DISABLE_TRACKING := true

.PHONY: install test lint audit unit e2e reliability bench demo sandbox clean postgres

$(VENV)/.installed: requirements-dev.txt sandbox/pyproject.toml $(addsuffix /pyproject.toml,$(PLUGINS))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

.meltano/.installed: $(VENV)/.installed meltano.yml $(addsuffix /pyproject.toml,$(PLUGINS))
	$(BIN)/meltano install
	touch $@

install: .meltano/.installed

lint: $(VENV)/.installed
	$(BIN)/ruff check sandbox $(PLUGINS) tests scripts orchestrate benchmarks
	$(BIN)/ruff format --check sandbox $(PLUGINS) tests scripts orchestrate benchmarks

# One pytest per package: each plugin's tests run as they would in its own repository.
unit: $(VENV)/.installed
	cd sandbox && $(BIN)/pytest
	for plugin in $(PLUGINS); do (cd $$plugin && $(BIN)/pytest) || exit 1; done

e2e: install postgres
	$(BIN)/pytest tests

# The shared-state tests start a throwaway PostgreSQL server of their own
# (tests/postgres_server.py) from Debian's package, installed here when missing.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  $$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }

# The reliability suite on its own, every scenario with three seeds; it rewrites RESULTS.md.
# (`make test` runs it too, through `pytest tests`, with one seed.)
reliability: install
	RELIABILITY_SEEDS=3 RELIABILITY_SCOPE=full \
	  RELIABILITY_RESULTS=$(CURDIR)/tests/reliability/RESULTS.md $(BIN)/pytest tests/reliability

# Performance benchmarks (issue 11): every pipeline at each N (customers and orders), first
# load, incremental after 1% changed, no-change run, and the sequential baseline; writes
# benchmarks/RESULTS.md and benchmarks/results.png. Quick mode (small N, call-count floors
# only) runs in `make test` as tests/test_benchmark_quick.py.
BENCH_SIZES ?= 10000,100000
BENCH_PIPELINES ?= netsuite,oracle-fusion,acumatica,jde,exact
BENCH_MAILCHIMP_LATENCY_MS ?= 30
BENCH_ERP_LATENCY_MS ?= 100
BENCH_BASELINE_LIMIT ?= 1000

bench: install
	$(BIN)/python -m benchmarks --sizes $(BENCH_SIZES) --pipelines $(BENCH_PIPELINES) \
	  --mailchimp-latency-ms $(BENCH_MAILCHIMP_LATENCY_MS) --erp-latency-ms $(BENCH_ERP_LATENCY_MS) \
	  --baseline-limit $(BENCH_BASELINE_LIMIT)

# Known vulnerabilities with a fixed release in any plugin venv fail it, and so does a
# vulnerability service it cannot reach (scripts/audit_dependencies.py says why).
audit: install
	$(BIN)/python scripts/audit_dependencies.py

# Apache Airflow gets its own venv (its pins would fight Meltano's), installed by uv (from
# Meltano's own dependencies, with a reusable cache) from the compiled pins in requirements.txt.
AIRFLOW_VENV := orchestrate/airflow/.venv

$(AIRFLOW_VENV)/.installed: orchestrate/airflow/requirements.txt $(VENV)/.installed
	rm -rf $(AIRFLOW_VENV)
	$(BIN)/uv venv --quiet --python $(PYTHON) $(AIRFLOW_VENV)
	$(BIN)/uv pip install --quiet --python $(AIRFLOW_VENV)/bin/python \
	  -r orchestrate/airflow/requirements.txt
	touch $@

# The Airflow DAGs made from meltano.yml's schedules: schedules.json is current (with Meltano),
# and Airflow loads one right DAG per schedule from it (with Airflow).
.PHONY: airflow-test
airflow-test: $(AIRFLOW_VENV)/.installed
	cd orchestrate/airflow && $(BIN)/pytest tests/test_export_schedules.py
	cd orchestrate/airflow && .venv/bin/pytest tests/test_dags.py

test: lint audit unit e2e airflow-test

demo: install
	PATH="$(BIN):$$PATH" bash sandbox/demo.sh

sandbox: $(VENV)/.installed
	$(BIN)/erp-sandbox serve

clean:
	rm -rf $(VENV) .meltano .sandbox $(AIRFLOW_VENV)
