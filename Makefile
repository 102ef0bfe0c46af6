PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint bench clean system-packages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/localocean serve

# What the tests need from Debian: qemu-img makes real disk images for the disk-format tests;
# kubectl (Debian's kubernetes-client where none is installed) drives the clusters' APIs;
# chromium runs the dashboard's browser tests (Playwright drives it: it downloads no browser).
system-packages:
	@command -v qemu-img >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-utils >/dev/null; } || \
		echo "could not install qemu-utils (qemu-img): its tests will skip, or fail under CI=true"
	@command -v kubectl >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null; } || \
		echo "could not install kubernetes-client (kubectl): its tests will skip, or fail under CI=true"
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "could not install chromium: the dashboard's browser tests will skip, or fail under CI=true"

test: $(STAMP) system-packages
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/localocean
	# Three workers on two cores, each taking whole files: most of the suite waits on server
	# processes, PostgreSQL, Ansible and Chromium rather than computing.
	$(BIN)/pytest -n 3 --dist loadfile --durations=15

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/localocean

# wrk is the load generator the performance goals are stated in; where it cannot be installed
# (not root, no apt) the bench falls back to its Python load generator and says so.
bench: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
		echo "could not install wrk: the bench falls back to its Python load generator"
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache
