# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: run test lint system-packages venv clean bench docs-screenshots

venv: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
	$(BIN)/python -m pip install -q -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

system-packages:
	bash scripts/ensure_system_packages.sh test

# Installs what the stack needs when missing (or says what, without root), then runs it.
run: venv
	bash scripts/ensure_system_packages.sh run
	$(BIN)/python scripts/run_stack.py

test: venv system-packages
	$(BIN)/python scripts/run_tests.py $(PYTEST_ARGS)

# The README's pictures: first steps from the browser walkthrough test (1280x800 PNGs),
# Test on history from the backtest's browser test.
docs-screenshots: venv system-packages
	DOCS_SCREENSHOTS=$(CURDIR)/docs/first-steps $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/browser/test_walkthrough.py tests/browser/test_rule_backtest.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy atsd_alerts rules notifications devtools
	$(BIN)/lint-imports --no-logo
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: venv
	$(BIN)/python manage.py bench_ingest

clean:
	rm -rf $(VENV) var
