# Two commands set everything up on a fresh machine: `make run` and `make test`.
# The virtual environment lives in .venv/ at the repository root.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench system-deps system-deps-test system-deps-run system-deps-bench schema clean

# Each target first checks the Debian packages Qt needs (.ci/system-packages.txt): as root it
# installs what is missing; otherwise it prints the one apt-get line to run and stops.
run: | system-deps-run $(STAMP)
	$(BIN)/audit-app demo

test: | system-deps-test $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: | system-deps-bench $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/gui.py

# Debian packages for Qt (see .ci/system-packages.txt); installs only what is missing, as root.
system-deps:
	@bash .ci/install-system-packages
system-deps-test:
	@bash .ci/install-system-packages test
system-deps-run:
	@bash .ci/install-system-packages test run
system-deps-bench:
	@bash .ci/install-system-packages test bench

# Regenerate the published JSON Schema of the checklist format.
schema: $(STAMP)
	$(BIN)/audit-app checklist schema > checklists/checklist.schema.json
	$(BIN)/python -m audit_app.services.export_schema > checklists/export.schema.json

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "audit-app needs Python 3.11 or newer; this is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtual environment: install the venv module (Debian: apt-get install python3-venv)." >&2; exit 1; }

$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
