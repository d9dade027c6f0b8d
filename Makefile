# `make run` and `make test` set everything up on a fresh machine: a virtual
# environment in .venv with the package, its pinned dependencies and the spaCy model.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARCHIVE ?= archive
EVAL_DIR ?= ../shared/eval
PREFECT_PORT ?= 4200

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install browser run test bench eval clean serve

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[model,test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/newsarchive run seeds --archive $(ARCHIVE)

# Debian's Chromium and ChromeDriver for tests/test_browser.py (as root), when either is
# missing. Without them those tests fail; NEWSARCHIVE_SKIP_BROWSER=1 makes them skip.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

test: install browser
	$(BIN)/pytest -q

# Speed and memory of a real run, search and dedup at scale; near-duplicate precision and
# recall; then extraction quality. BENCH_ARGS go to bench/pipeline.py (--help lists them).
bench: install
	NEWSARCHIVE_EVAL_DIR=$(EVAL_DIR) $(BIN)/python -m bench.pipeline $(BENCH_ARGS)
	NEWSARCHIVE_EVAL_DIR=$(EVAL_DIR) $(BIN)/python -m bench.neardup
	NEWSARCHIVE_EVAL_DIR=$(EVAL_DIR) $(BIN)/python -m bench.quality

# A Prefect server on 127.0.0.1 (in the background, its data in ~/.prefect or $PREFECT_HOME),
# then the nightly deployment served in the foreground; Ctrl-C stops both.
serve: install
	PREFECT_API_URL=http://127.0.0.1:$(PREFECT_PORT)/api $(BIN)/python -m flows.serve --start-server

eval: install
	NEWSARCHIVE_EVAL_DIR=$(EVAL_DIR) $(BIN)/python -m bench.quality

clean:
	rm -rf $(VENV) $(ARCHIVE) bench-out test-artifacts *.egg-info .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
