# Every target sets up what it needs: `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
LAYER_STAMP = build/layers/deps/.built-$(LAMBDA_PYTHON)-$(shell sha1sum layers/deps/requirements.txt | cut -c1-12)
# The Lambda runtime the dependency layer is built for (infra/ uses the same version).
LAMBDA_PYTHON := 3.14

.PHONY: setup run test test-unit test-integration test-infra test-e2e test-browser lint synth layer dashboard bench clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

# Dependency layer for the zip functions, built for Lambda's Linux x86_64 from wheels only.
layer: $(LAYER_STAMP)

$(LAYER_STAMP): layers/deps/requirements.txt | $(STAMP)
	rm -rf build/layers/deps && mkdir -p build/layers/deps/python
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-compile --only-binary=:all: \
		--platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 --implementation cp \
		--python-version $(LAMBDA_PYTHON) --target build/layers/deps/python -r layers/deps/requirements.txt
	# The Lambda runtime ships boto3 and botocore (aws-xray-sdk pulls them in again): 30 MB saved.
	cd build/layers/deps/python && rm -rf boto3 boto3-* botocore botocore-* s3transfer s3transfer-*
	# Never imported when serving: numpy's own test suites, onnxruntime's offline tooling.
	cd build/layers/deps/python && rm -rf numpy/*/tests numpy/tests onnxruntime/transformers onnxruntime/quantization \
		onnxruntime/tools onnxruntime/datasets
	touch $@

# The dashboard: Chart.js from the committed npm lock, then build/dashboard (index.html + hashed assets/).
DASHBOARD_BUILT := build/dashboard/index.html
DASHBOARD_DEPS := dashboard/node_modules/.package-lock.json
# The browser tests drive Debian's Chromium (Playwright's own browser downloads are not used).
CHROMIUM := /usr/bin/chromium
# Debian's packages need root: sudo when make is not already running as root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

dashboard: $(DASHBOARD_BUILT)

$(DASHBOARD_DEPS): dashboard/package.json dashboard/package-lock.json
	cd dashboard && npm ci --no-audit --no-fund

$(DASHBOARD_BUILT): $(DASHBOARD_DEPS) dashboard/build.mjs $(wildcard dashboard/src/*)
	cd dashboard && node build.mjs

$(CHROMIUM):
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium

run: setup dashboard
	$(PY) -m local_stack

test: setup layer dashboard lint test-unit test-integration test-infra test-e2e test-browser

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/shared/python/leadscoring local_stack infra functions benchmarks fakes tests

test-unit: setup
	$(VENV)/bin/pytest -q tests/unit -p no:cacheprovider --disable-socket

# Two workers, each with its own moto server and seeded tenant; a file's tests stay on one worker.
test-integration: setup
	$(VENV)/bin/pytest -q tests/integration -p no:cacheprovider -n 2 --dist loadfile

test-infra: setup layer dashboard
	$(VENV)/bin/pytest -q tests/infra -p no:cacheprovider

test-e2e: setup dashboard
	$(VENV)/bin/pytest -q tests/e2e -p no:cacheprovider

test-browser: setup dashboard $(CHROMIUM)
	$(VENV)/bin/pytest -q tests/browser -p no:cacheprovider

synth: setup layer dashboard
	$(PY) infra/app.py

bench: setup
	@$(PY) -m benchmarks

clean:
	rm -rf build cdk.out .mypy_cache .ruff_cache
