# Two commands on a fresh machine:  `make start` (install, serve the sample city at http://127.0.0.1:8000/)
# and `make test` (install, run every test).
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: install start test lint bench browser

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

# Style and likely bugs (ruff), types (mypy) and the layers between the packages (import-linter); CI runs it
# before the tests. Settings in pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Browser tests drive Debian's Chromium (no browser download); installed when missing and we may. Without a
# Japanese font (and an emoji font) screenshots draw 住民の質問 and 💬 as empty boxes: those come with it.
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk fonts-noto-color-emoji
browser:
	@command -v dpkg >/dev/null || { echo "Not Debian: install Chromium and a Japanese font (Noto Sans CJK JP)"; exit 0; }; \
	missing=$$(for p in $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null && fc-cache -f >/dev/null; \
	else echo "Missing $$missing and not root: sudo apt-get install $$missing (browser tests are skipped" \
	  "without Chromium; screenshots show boxes without the fonts)"; fi

bench: install
	$(PY) -m bench.index_build
	$(PY) -m bench.answering
	$(PY) -m bench --suite all
