# gen: two commands do everything on a fresh machine.
#   make demo   install, render envs/reference, print what was made
#   make test   install, lint, type-check, run the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION := 3.3.30
# uv installs the whole set in seconds; it is bootstrapped from PyPI when missing.
UV ?= $(PYTHON) -m uv
BIN := $(VENV)/bin

.PHONY: .uv-bootstrap install demo test lint typecheck pytest clean render-all bench

install: $(VENV)/.installed $(CHECKOV_VENV)/.installed

.uv-bootstrap:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: pyproject.toml | .uv-bootstrap
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[aws,lint,verify,dev,dev-aws,dev-lint,dev-verify]'
	@touch $@

# checkov pins bc-python-hcl2, which installs the same `hcl2` module as python-hcl2: it gets
# a virtualenv of its own and runs as a subprocess.
$(CHECKOV_VENV)/.installed: | .uv-bootstrap
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --compile-bytecode --python $(CHECKOV_VENV)/bin/python checkov==$(CHECKOV_VERSION)
	@touch $@

demo: install
	$(BIN)/gen render envs/reference
	$(BIN)/gen render --check envs/reference

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

test: lint typecheck pytest

# Re-render every environment and golden root (after a change to the generator).
render-all: install
	for d in envs/*/ tests/envs/*/; do $(BIN)/gen render --quiet $$d || exit 1; done

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .mypy_cache .ruff_cache .pytest_cache
