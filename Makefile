# Release Search: `make run` serves the shipped corpus, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INDEX ?= $(or $(RELEASE_SEARCH_INDEX),var/index)
CORPUS ?= $(or $(RELEASE_SEARCH_CORPUS),corpus)
PORT ?= 8000

BENCH_SCALE ?= 20000

.PHONY: run test lint typecheck check bench bench-million relevance soak chromium nginx clean constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# constraints.txt pins every package to the versions CI tested (`make constraints` renews it).
$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@ $(VENV)/.installed-run

## constraints: re-resolve the newest versions pyproject.toml allows into constraints.txt (then make check)
constraints: | $(BIN)/python
	rm -rf .venv-constraints && $(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	(echo "# What CI tested: make installs with -c constraints.txt. Regenerate with make constraints (see README)."; \
	 .venv-constraints/bin/pip freeze --exclude-editable | grep -v '^#') > constraints.txt
	rm -rf .venv-constraints

## run: install, index corpus/ if there is no index yet, serve on http://127.0.0.1:$(PORT)
run: $(VENV)/.installed-run
	@if [ ! -f "$(INDEX)/CURRENT" ]; then \
		$(BIN)/reindex --corpus "$(CORPUS)" --index "$(INDEX)"; rc=$$?; [ $$rc -le 1 ] || exit $$rc; \
	fi
	RELEASE_SEARCH_CORPUS="$(CORPUS)" $(BIN)/search-app --host 127.0.0.1 --port $(PORT) --index "$(INDEX)"

## test: install what the tests need (Chromium and nginx too, when root) and run them all
test: $(VENV)/.installed-dev chromium nginx
	$(BIN)/pytest

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else \
			echo "make test needs Chromium at /usr/bin/chromium: sudo apt-get install chromium chromium-driver" >&2; exit 1; \
		fi; \
	fi

nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
		else \
			echo "make test needs nginx (tests/test_several_servers.py): sudo apt-get install nginx" >&2; exit 1; \
		fi; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

check: lint typecheck test

## bench: speed side by side with SQLite FTS5 (DOJ corpus if ../shared/corpora has it, else synthetic); JSON in bench/results/
bench: $(VENV)/.installed-run
	$(BIN)/python bench/speed.py --runs 3 --scale $(BENCH_SCALE) $(BENCH_ARGS)

## bench-million: a million synthetic releases: build time and memory, nothing-changed incremental, searches beside FTS5 (long: run it alone)
bench-million: $(VENV)/.installed-run
	$(BIN)/python bench/million.py --work $(or $(MILLION_WORK),/tmp/bench-million) $(BENCH_ARGS)

## relevance: MRR, Recall@10 and nDCG@10 against SQLite FTS5 on bench/judgments.json
relevance: $(VENV)/.installed-run
	$(BIN)/python bench/relevance.py

## soak: 5 minutes at concurrency 16 of ordinary and hostile queries over HTTP (SOAK_INDEX=DIR, SOAK_ARGS=--minutes 1)
SOAK_INDEX ?= $(INDEX)
soak: $(VENV)/.installed-run
	$(BIN)/python bench/soak.py --index "$(SOAK_INDEX)" $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
