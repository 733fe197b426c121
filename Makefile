# The two commands of the README, and the steps they are made of.
#   make study   set up, then run the main job (quick study on CPU, the full one on CUDA) and print the table
#   make test    set up, then run every test (notebooks, CLI, nbdev sync checks)
#   make docs    the documentation site, offline, into _docs/ (MkDocs; `nbdev_docs` builds the Quarto one where Quarto exists)
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: setup data browser study test nbtest sync readme export clean-nbs docs

setup: $(BIN)/.installed data browser
$(BIN)/.installed: settings.ini setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	-git rev-parse --git-dir >/dev/null 2>&1 && $(BIN)/nbdev_install_hooks >/dev/null 2>&1
	touch $@

# Fashion-MNIST from Debian's package, where apt exists and the data is not already there.
data:
	@if [ -z "$$SEMIPERTURB_DATA" ] && [ ! -f $(FASHION) ] && command -v apt-get >/dev/null; then \
	  $(SUDO) apt-get install -y -q dataset-fashion-mnist || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q dataset-fashion-mnist; }; fi

# Headless Chromium for the docs site's browser test (tests/test_docs.py), from Debian, where it is missing.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ -z "$$CHROMIUM" ] && command -v apt-get >/dev/null; then \
	  $(SUDO) apt-get install -y -q chromium || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; } || \
	  echo "could not install chromium: tests/test_docs.py will be skipped"; fi

study: setup
	$(BIN)/semiperturb study

test: setup
	$(BIN)/python -m pytest tests -n 2 -p no:cacheprovider

nbtest: setup
	$(BIN)/nbdev_test

sync: setup
	$(BIN)/python tests/nbsync.py check

readme:
	$(BIN)/python tests/nbsync.py readme

export:
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(BIN)/python tests/nbsync.py readme

docs: setup
	$(BIN)/python tests/docsite.py build
