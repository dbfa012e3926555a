# Two commands for a fresh machine: `make demo` (install, then chat with the bot in the terminal)
# and `make test` (install with test tools, then lint, type-check and run the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint typecheck bench diagram clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/helpdesk chat

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy .

test: lint typecheck
	$(BIN)/helpdesk flow diagram --check
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc

bench: install
	$(BIN)/python bench/kb_latency.py

diagram: install
	$(BIN)/helpdesk flow diagram

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
