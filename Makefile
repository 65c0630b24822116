# Two commands on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench scenarios clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# With no configuration: the demo store (seeded into an empty database only), and /admin/ signs visitors in to it.
ASSAY_DEMO ?= 1
export ASSAY_DEMO

run: $(STAMP)
	$(VENV)/bin/assay db upgrade
	test "$(ASSAY_DEMO)" != 1 || $(VENV)/bin/assay demo seed
	$(VENV)/bin/assay run --host 127.0.0.1 --port 8000

test: $(STAMP) lint typecheck
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# --strict everywhere (pyproject.toml); policies/ is the one that must never slip.
typecheck: $(STAMP)
	$(VENV)/bin/mypy policies connector storage jobs webhooks admin cli

scenarios: $(STAMP)
	../shared/tools/check-scenarios

bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/page.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
