# The two commands of the README, and the steps they are made of.
#   make study   set up, then run the main job (quick study on CPU, the full one on CUDA) and print the table
#   make test    set up, then run every test (notebooks, CLI, nbdev sync checks)
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: setup data study test nbtest sync readme export clean-nbs docs

setup: $(BIN)/.installed data
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
