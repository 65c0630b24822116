# Two commands on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench scenarios clean plugin php-test

$(STAMP): pyproject.toml
	@echo "Installing Assay into $(VENV) (once)..."
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# With no configuration: the demo store (seeded into an empty database only), and /admin/ signs visitors in to it.
# For `run` alone: production (and the tests' apps on PostgreSQL) refuse to start with ASSAY_DEMO=1.
# One line says where it serves; the migration's and the seeding's logs go to instance/run.log, the server's own
# lines stay at warning unless ASSAY_LOG_LEVEL says otherwise.
run: export ASSAY_DEMO ?= 1
run: export PORT ?= 8000
RUN_LOG := instance/run.log

run: $(STAMP)
	@mkdir -p instance
	@$(VENV)/bin/assay db upgrade >$(RUN_LOG) 2>&1 || (cat $(RUN_LOG); exit 1)
	@test "$(ASSAY_DEMO)" != 1 || $(VENV)/bin/assay demo seed >>$(RUN_LOG) 2>&1 || (cat $(RUN_LOG); exit 1)
	@ASSAY_LOG_LEVEL=$${ASSAY_LOG_LEVEL:-WARNING} $(VENV)/bin/assay run --host 127.0.0.1 --port $(PORT)

# pytest runs the plugin's `php -l` and PHPUnit too (tests/unit/test_woocommerce_plugin_php.py installs php-cli and
# phpunit with apt-get when missing); php-test prints PHPUnit's own summary first.
# Two processes, a test file each at a time: the outage tests mostly wait (leases, a Redis or PostgreSQL down
# 20 s), and the rest runs beside them, so the suite stays well under 10 minutes on a 2-core machine.
test: $(STAMP) lint typecheck php-test
	$(PY) -m pytest -q -n 2 --dist loadfile --durations=25

PLUGIN_DIR := connector/woocommerce/plugin

# PHPCS with the WordPress Coding Standards' sniffs that ship with Debian's php-codesniffer (phpcs.xml.dist says why
# not WPCS itself).
php-test:
	@command -v phpunit >/dev/null && command -v phpcs >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli phpunit php-codesniffer >/dev/null)
	cd $(PLUGIN_DIR) && phpunit -c phpunit.xml
	cd $(PLUGIN_DIR) && phpcs

# The zip a merchant uploads in wp-admin (Plugins > Add New > Upload Plugin); the tests stay out of it.
plugin: $(STAMP)
	rm -f assay-for-woocommerce.zip
	$(PY) -m zipfile -c assay-for-woocommerce.zip $(PLUGIN_DIR)/assay-for-woocommerce
	$(PY) -m zipfile -l assay-for-woocommerce.zip

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# --strict everywhere (pyproject.toml); policies/ is the one that must never slip.
typecheck: $(STAMP)
	$(VENV)/bin/mypy policies connector storage jobs webhooks admin cli

scenarios: $(STAMP)
	../shared/tools/check-scenarios

# Every benchmark writes its section to bench/results/; report.py joins them into bench/RESULTS.md.
bench: $(STAMP)
	$(PY) bench/run.py --repeat 3
	$(PY) bench/page.py --repeat 3
	$(PY) bench/admin_queries.py
	$(PY) bench/rate_limit.py
	$(PY) bench/hanging_tenant.py
	$(PY) bench/throughput.py
	$(PY) bench/slow_clients.py
	$(PY) bench/report.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
