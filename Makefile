# gen: two commands do everything on a fresh machine.
#   make demo   install, render envs/reference, print what was made
#   make test   install, then pre-commit (render --check, gen lint, ruff, mypy) and pytest
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION := 3.3.30
# uv installs the whole set in seconds; it is bootstrapped from PyPI when missing.
UV ?= $(PYTHON) -m uv
BIN := $(VENV)/bin
MERMAID := tools/mermaid

.PHONY: .uv-bootstrap install demo test lint typecheck pytest precommit clean render-all bench bench-scale

install: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(MERMAID)/node_modules/.installed

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

# mermaid's own parser, from npm: the tests check `gen explain --format mermaid` with it.
$(MERMAID)/node_modules/.installed: $(MERMAID)/package.json $(MERMAID)/package-lock.json
	npm ci --prefix $(MERMAID) --no-audit --no-fund --loglevel=error
	@touch $@

demo: install
	$(BIN)/gen render envs/reference
	$(BIN)/gen render --check envs/reference
	$(BIN)/gen verify --quiet envs/reference
	$(BIN)/gen explain --format mermaid --output envs/reference/ACCESS.md envs/reference

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

# Every hook of .pre-commit-config.yaml on every tracked file: gen render --check and gen lint
# on each environment, ruff (check and format) and mypy --strict.
precommit: install
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

test: precommit pytest

bench: install
	$(BIN)/python scripts/bench_lint.py

# Render, lint (without checkov), explain and verify 10, 100 and 1,000 serving accounts in
# both layouts: time, peak memory, largest policy, roots and providers per root.
bench-scale: install
	$(BIN)/python scripts/bench_scale.py

# Re-render every environment and golden root (after a change to the generator).
render-all: install
	for d in envs/*/ tests/envs/*/; do $(BIN)/gen render --quiet $$d || exit 1; done

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(MERMAID)/node_modules .mypy_cache .ruff_cache .pytest_cache
