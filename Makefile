# answerkey: `make demo` and `make test` work on a fresh clone; everything they need is installed here.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
MF_VENV ?= .venv-metricflow
MF_STAMP := $(MF_VENV)/.installed
DEMO_DIR ?= answerkey-demo

.PHONY: install demo test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# MetricFlow (dbt), the peer `metrics query` is tested against, pins packages the dev tools do not accept.
$(MF_STAMP): pyproject.toml
	$(PYTHON) -m venv $(MF_VENV)
	$(MF_VENV)/bin/python -m pip install --quiet --disable-pip-version-check '.[metricflow]'
	touch $(MF_STAMP)

install: $(STAMP) $(MF_STAMP)

demo: $(STAMP)
	$(VENV)/bin/answerkey demo $(DEMO_DIR) --force $(if $(CI),,--serve)

test: $(STAMP) $(MF_STAMP)
	$(PY) -m pytest -q -n 2 --dist loadgroup

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix src tests benchmarks

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) $(MF_STAMP)
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_agreement.py
	$(PY) benchmarks/bench_consensus.py
	$(PY) benchmarks/bench_eval.py
	$(PY) benchmarks/bench_test_suite.py
	$(PY) benchmarks/bench_wrong_right.py
	$(PY) benchmarks/bench_label_errors.py
	$(PY) benchmarks/bench_label_issues.py
	$(PY) benchmarks/bench_contamination.py
	$(PY) benchmarks/bench_estimate.py
	$(PY) benchmarks/bench_drift.py
	$(PY) benchmarks/bench_monitor.py
	$(PY) benchmarks/bench_derive.py
	$(PY) benchmarks/bench_api.py
	$(PY) benchmarks/bench_review.py
	$(PY) benchmarks/bench_metrics.py

clean:
	rm -rf $(VENV) $(MF_VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
