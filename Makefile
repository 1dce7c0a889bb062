# The two commands of the README:
#   make study   build, export, time on this CPU, analyze, plot (results/)
#   make test    lint, then the test suite: pytest, then swift test of ios_harness/ (what CI runs)
# Both create .venv and install mobench into it the first time.

VENV ?= .venv
STAMP := $(VENV)/.mobench-installed
PRESET ?= quick

.PHONY: study test test-slow test-all lint install clean

$(STAMP): pyproject.toml scripts/install.sh
	MOBENCH_VENV=$(VENV) bash scripts/install.sh
	touch $(STAMP)

install: $(STAMP)

study: $(STAMP)
	$(VENV)/bin/mobench run --preset $(PRESET)

# pytest, then the Swift harness package (swift build + swift test; skipped with
# the reason where no Swift toolchain exists); fails if either fails.
test: $(STAMP)
	$(MAKE) lint
	@rc=0; $(VENV)/bin/python -m pytest || rc=$$?; bash scripts/swift_test.sh || rc=$$?; exit $$rc

# ruff (lint + format check), pyright, import-linter's layer contract (pyproject.toml),
# and the GitHub workflows against GitHub's workflow schema (they run on hosted runners only)
lint: $(STAMP)
	$(VENV)/bin/ruff check mobench tests benchmarks scripts
	$(VENV)/bin/ruff format --check mobench tests benchmarks scripts
	$(VENV)/bin/pyright --pythonpath $(VENV)/bin/python
	$(VENV)/bin/lint-imports
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

# The slow suite (whole zoo, quantized recipes over MobileOne, end-to-end runs, full-size studies).
test-slow: $(STAMP)
	$(VENV)/bin/python -m pytest -m slow

test-all: $(STAMP)
	$(VENV)/bin/python -m pytest -m ""

clean:
	rm -rf $(VENV) .pytest_cache ios_harness/.build ios_harness/tools/apple-typecheck/.build
