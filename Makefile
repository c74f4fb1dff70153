# Two commands on a fresh machine:  `make start` (install, build the sample city, chat with it)  and  `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: install start test bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0  # the CPU build; never let pip pick a CUDA one
	$(PY) -m pip install -q -e '.[test]'
	touch $@

start: install
	$(BIN)/madoguchi index build
	$(BIN)/madoguchi ask

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m bench.index_build
	$(PY) -m bench.answering
