# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format bench package clean browser-deps screenshot

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .  # the project itself: the `bitget-orders` command (docs/cli.md)
	touch $(STAMP)

run: $(STAMP)  ## start the service with the embedded defaults
	$(PY) run.py

test: lint  ## lint and type-check, then the whole test suite
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

browser-deps:  ## Debian's chromium + chromedriver for tests/browser (needs root; .ci/run calls it)
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }

screenshot: $(STAMP)  ## docs/ui.png, taken by the browser test (docs/ui.md)
	UPDATE_UI_SCREENSHOT=1 $(PY) -m pytest tests/browser -q

bench: $(STAMP)  ## every benchmark, one JSON line each
	$(PY) -m bench all

package: $(STAMP)  ## build the Lambda zips into build/
	$(PY) scripts/package_lambdas.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
