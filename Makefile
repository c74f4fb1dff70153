# Two commands on a fresh machine:  `make start` (install, serve the sample city at http://127.0.0.1:8000/)
# and `make test` (install, run every test).
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: install start test bench browser

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0  # the CPU build; never let pip pick a CUDA one
	$(PY) -m pip install -q -e '.[test]'
	touch $@

start: install
	$(BIN)/madoguchi serve

test: install browser
	$(PY) -m pytest

# Browser tests drive Debian's Chromium (no browser download); installed when missing and we may.
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "Chromium missing and not root: browser tests will be skipped (sudo apt-get install chromium)"

bench: install
	$(PY) -m bench.index_build
	$(PY) -m bench.answering
	$(PY) -m bench --suite all
