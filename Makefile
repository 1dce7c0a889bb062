# The two commands of the README:
#   make study   build, export, time on this CPU, analyze, plot (results/)
#   make test    the test suite: pytest, then swift test of ios_harness/ (what CI runs)
# Both create .venv and install mobench into it the first time.

VENV ?= .venv
STAMP := $(VENV)/.mobench-installed
PRESET ?= quick

.PHONY: study test test-all install clean

$(STAMP): pyproject.toml scripts/install.sh
	MOBENCH_VENV=$(VENV) bash scripts/install.sh
	touch $(STAMP)

install: $(STAMP)

study: $(STAMP)
	$(VENV)/bin/mobench run --preset $(PRESET)

# pytest, then the Swift harness package (swift build + swift test; skipped with
# the reason where no Swift toolchain exists); fails if either fails.
test: $(STAMP)
	@rc=0; $(VENV)/bin/python -m pytest || rc=$$?; bash scripts/swift_test.sh || rc=$$?; exit $$rc

test-all: $(STAMP)
	$(VENV)/bin/python -m pytest -m ""

clean:
	rm -rf $(VENV) .pytest_cache ios_harness/.build
