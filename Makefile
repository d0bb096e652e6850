# clustersec.mysql: `make test` runs every stage (host check, venv, node image, sanity, unit,
# lint, compat, molecule) and prints each stage's wall time and a final "N passed, N failed" line.
SHELL := /bin/bash
ROOT := $(CURDIR)
export PATH := $(ROOT)/.venv/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.build/link
PY ?= python3

.PHONY: test setup host venv image sanity unit integration lint compat molecule demo demo-clean clean benchmarks bench-rotation

test:
	@$(PY) scripts/run_tests.py

setup: host venv

host:
	@scripts/setup-host.sh

venv:
	@scripts/setup-venv.sh

image: host
	@scripts/build-image.sh

sanity: venv
	@scripts/sanity.sh

unit: venv
	@$(PY) scripts/run_tests.py --only unit

integration: venv
	@$(PY) scripts/run_tests.py --only integration

lint: venv
	@$(PY) scripts/run_tests.py --only lint

# The built tarball installed under the newest 2.16.x and the newest ansible-core (venvs cached in .build/compat/).
compat: venv
	@$(PY) scripts/run_tests.py --only compat

molecule: venv image
	@$(PY) scripts/run_tests.py --only molecule $(if $(SCENARIO),--scenario $(SCENARIO),)

demo: host venv image
	@scripts/demo.sh up

demo-clean:
	@scripts/demo.sh clean

benchmarks: venv
	@$(ROOT)/.venv/bin/python benchmarks/bench_certs.py
	@$(ROOT)/.venv/bin/python benchmarks/bench_idempotent_certs.py

bench-rotation: venv image
	@$(ROOT)/.venv/bin/python benchmarks/bench_rotation.py

clean: demo-clean
	rm -rf .build tests/output
