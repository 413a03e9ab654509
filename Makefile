# gen: two commands do everything on a fresh machine.
#   make demo   install gen alone (no test tools, no checkov, no npm), render envs/reference,
#               prove its policies and draw its access
#   make test   install everything, then pre-commit (render --check, gen lint, ruff, mypy)
#               and pytest
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION := 3.3.30
# uv installs the whole set in seconds; it is bootstrapped from PyPI when missing.
UV ?= $(PYTHON) -m uv
BIN := $(VENV)/bin
MERMAID := tools/mermaid
IAM_SIMULATE := tools/iam-simulate

.PHONY: .uv-bootstrap install install-demo demo test lint typecheck pytest precommit clean \
	render-all bench bench-eval diff-eval bench-startup test-terraform screenshots consumer-test fuzz \
	bench-scale

install: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(MERMAID)/node_modules/.installed \
	$(IAM_SIMULATE)/node_modules/.installed

# What `make demo` runs and nothing more: gen with the verify extra.
install-demo: $(VENV)/.demo-installed

.uv-bootstrap:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: pyproject.toml | .uv-bootstrap
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[aws,lint,verify,dev,dev-aws,dev-lint,dev-verify,dev-bootstrap]'
	@touch $@ $(VENV)/.demo-installed

$(VENV)/.demo-installed: pyproject.toml | .uv-bootstrap
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --python $(BIN)/python -e '.[verify]'
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

# An independent IAM evaluator, from npm: tests/test_iam_diff.py and `make diff-eval` compare
# gen's evaluator (generator/iam/evaluator.py) with it.
$(IAM_SIMULATE)/node_modules/.installed: $(IAM_SIMULATE)/package.json $(IAM_SIMULATE)/package-lock.json
	npm ci --prefix $(IAM_SIMULATE) --no-audit --no-fund --loglevel=error
	@touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/gen render envs/reference
	$(BIN)/gen render --check envs/reference
	$(BIN)/gen verify --quiet envs/reference
	$(BIN)/gen explain --format mermaid --output envs/reference/ACCESS.md envs/reference
	@echo "gen is installed in $(VENV): run $(BIN)/gen --help, or source $(VENV)/bin/activate"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# One worker per core; the `gen lint` runs several tests share run once (tests/conftest.py).
PYTEST_WORKERS ?= auto
pytest: install
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

# Every hook of .pre-commit-config.yaml on every tracked file: gen render --check and gen lint
# on each environment, ruff (check and format) and mypy --strict.
precommit: install
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

# `make test` runs the hooks but the two gen ones: pytest runs exactly those commands
# (tests/test_golden.py: every golden renders byte-identical and `gen lint` passes on all of
# them in one run), so checkov does not run twice on every golden.
test: install
	SKIP=gen-render-check,gen-lint $(BIN)/pre-commit run --all-files --show-diff-on-failure
	$(MAKE) --no-print-directory pytest

bench-startup: install
	$(BIN)/python scripts/bench_startup.py

# Real Terraform (offline provider) init/validate/plan/apply and an empty second plan on every
# environment and golden root, the render -> apply -> change -> plan path, and the whole terraform
# corpus with checkov (make test runs envs/reference and one corpus case).
test-terraform: install
	$(BIN)/pytest -q -m slow tests/test_terraform.py tests/test_terraform_corpus.py

# The pre-commit hooks as another repository uses them (minutes: pre-commit installs gen
# from PyPI packages into its own environment).
consumer-test: install
	$(BIN)/pytest -q -m slow tests/test_consumer_hooks.py

# A long fuzz campaign (issue #9): seeded mutations of every golden topology, run against the
# whole contract, and hypothesis properties with many examples; prints a table of outcome
# classes and exits 1 when any case breaks the contract. `make test` runs a small slice.
FUZZ_CASES ?= 5200
FUZZ_JOBS ?= 2
fuzz: install
	GEN_FUZZ_EXAMPLES=1000 $(BIN)/pytest -q -p no:cacheprovider tests/fuzz/test_fuzz_properties.py
	$(BIN)/python tests/fuzz/campaign.py --cases $(FUZZ_CASES) --jobs $(FUZZ_JOBS)

bench: install
	$(BIN)/python scripts/bench_lint.py
	$(BIN)/python scripts/bench_demo.py

# How many requests a second gen's IAM evaluator decides (aim: 30,000 on 2 cores).
bench-eval: install
	$(BIN)/python scripts/bench_eval.py

# gen's IAM evaluator against iam-simulate on 20,000 seeded random requests: a table of
# agreement and disagreement classes; fails on any disagreement the allow-list does not explain.
diff-eval: install
	$(BIN)/python scripts/diff_eval.py --cases 20000

# Render, lint (without checkov), explain and verify 10, 100 and 1,000 serving accounts in
# both layouts: time, peak memory, largest policy, roots and providers per root.
bench-scale: install
	$(BIN)/python scripts/bench_scale.py

# Re-render every environment and golden root (after a change to the generator).
render-all: install
	for d in envs/*/ tests/envs/*/; do $(BIN)/gen render --quiet $$d || exit 1; done

# PNGs of envs/reference/ACCESS.md's diagrams as a browser draws them (needs Debian's chromium).
screenshots: $(VENV)/.installed $(MERMAID)/node_modules/.installed
	$(BIN)/python scripts/screenshot_diagrams.py envs/reference/ACCESS.md build/diagrams

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(MERMAID)/node_modules $(IAM_SIMULATE)/node_modules \
		.mypy_cache .ruff_cache .pytest_cache
