# evesim: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv demo test bench protos clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	command -v swtpm >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends swtpm swtpm-tools libtss2-dev)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev,notebooks,dist,tpm]'
	touch $(STAMP)

demo: venv
	$(VENV)/bin/evesim run scenarios/power-loss-during-update.yaml --out out/demo

test: venv
	$(PY) -m pytest -n 2 -q

bench: venv
	$(PY) benchmarks/run_all.py

protos: venv
	$(PY) -m evesim.api.codegen

clean:
	rm -rf $(VENV) out .pytest_cache
