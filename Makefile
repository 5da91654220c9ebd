# The README's two commands: `make serve` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: serve test test-thorough lint typecheck unit bench contract-thorough spec clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/freepik-mock serve $(ARGS)

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# The project's own property-based tests with thousands of cases each (tests/profiles.py).
test-thorough: $(STAMP)
	FREEPIK_MOCK_TEST_PROFILE=thorough $(BIN)/python -m pytest -n 2 --timeout=3600 $(PYTEST_ARGS)

# Not part of `make test`: installs Prism into bench/.tools (npm) on first use; BENCH_ARGS=--quick
# runs 1 s per cell.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Thousands of generated cases against the server (in-process, or a live one with
# ARGS="--contract-base-url URL --contract-api-key KEY"); failures land in reports/ as JUnit XML.
contract-thorough: $(STAMP)
	mkdir -p reports
	$(BIN)/python -m pytest freepik_mock/contract -n 2 --contract-profile=thorough --timeout=1800 \
		--junitxml=reports/contract-thorough.xml -o junit_family=xunit2 $(ARGS)

spec: $(STAMP)
	$(BIN)/python scripts/build_extended_spec.py

clean:
	rm -rf $(VENV) build *.egg-info
