# evesim: `make demo` and `make test` are all a fresh machine needs; `make check` is the fast loop.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TPM_STAMP := $(VENV)/.tpm-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

UNIT := tests/agent tests/api tests/hw tests/controller tests/rollout tests/sim tests/regressions \
	tests/test_import_contracts.py

.PHONY: venv tpm browser proxy demo check lint types imports unit test test-xen soak bench protos clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[full,test,dev,notebooks,dist]'
	touch $(STAMP)

# Only the tests against a real (software) TPM need swtpm, and tpm2-pytss (built against libtss2).
tpm: $(TPM_STAMP)

$(TPM_STAMP): $(STAMP)
	command -v swtpm >/dev/null && [ -e /usr/include/tss2/tss2_esys.h ] || \
	($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends swtpm swtpm-tools libtss2-dev)
	$(PY) -m pip install --quiet -e '.[tpm]'
	touch $(TPM_STAMP)

demo: venv
	$(VENV)/bin/evesim run scenarios/power-loss-during-update.yaml --out out/demo

check: lint types imports unit

lint: venv
	$(VENV)/bin/ruff check evesim tests benchmarks notebooks

types: venv
	$(VENV)/bin/mypy

imports: venv
	$(VENV)/bin/lint-imports --no-cache

unit: venv
	$(PY) -m pytest -n 2 -q -m "not slow and not e2e and not swtpm" $(UNIT)

test: venv tpm browser proxy
	$(PY) -m pytest -n 2 -q -m "not xen"

# The host backend's proxy test runs Debian's tinyproxy (tests/backends/test_proxy_e2e.py).
proxy:
	command -v tinyproxy >/dev/null || \
	($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends tinyproxy)

# The live view's tests drive Debian's chromium through Debian's chromedriver (Selenium; no browser download).
browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium chromium-driver)

# Boots Xen under QEMU (software emulation) and runs `evesim agent --backend xen` in its dom0: see docs/xen-backend.md.
XEN_TOOLS := qemu-system-x86_64:qemu-system-x86 mmdebstrap:mmdebstrap cpio:cpio mke2fs:e2fsprogs \
	dpkg-deb:dpkg gzip:gzip
test-xen: venv
	missing=$$(for t in $(XEN_TOOLS); do command -v $${t%%:*} >/dev/null || echo $${t#*:}; done); \
	[ -z "$$missing" ] || ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $$missing)
	$(PY) -m pytest -q -m xen tests/xen

soak: venv
	EVESIM_FLAGSHIP_SEEDS=1000 $(PY) -m pytest -n 2 -q tests/properties

bench: venv
	$(PY) benchmarks/run_all.py

protos: venv
	$(PY) -m evesim.api.codegen

clean:
	rm -rf $(VENV) out .pytest_cache
