# The two commands of the README, and the steps they are made of.
#   make study    set up, then run the main job (quick study on CPU, the full one on CUDA) and print the table
#   make test     set up (plus a headless browser for the docs test), then run every test
#   make figures  redraw the committed figures in images/ (the notebooks' `#| notest` cells)
#   make results  re-read every committed record (results/, bench/, models/*.jsonl) into the notebooks' tables, figures
#                 and numbers, and render the README from nbs/index.ipynb: the one command behind every reported number
#   make docs     the documentation site, offline, into _docs/ (MkDocs; `nbdev_docs` builds the Quarto one where Quarto exists)
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
# Caches of the tools we run (pip, matplotlib, IPython, Jupyter) stay inside the checkout, in the ignored .cache/
export XDG_CACHE_HOME := $(CURDIR)/.cache
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib
export IPYTHONDIR := $(CURDIR)/.cache/ipython
export JUPYTER_RUNTIME_DIR := $(CURDIR)/.cache/jupyter-runtime

.PHONY: setup data browser study test nbtest sync readme export figures results clean-nbs docs gpu

# What the main job needs: the virtual environment with semiperturb and its tools, and the data.
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

# Headless Chromium for the docs site's browser test (tests/test_docs.py), from Debian, where it is missing.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ -z "$$CHROMIUM" ] && command -v apt-get >/dev/null; then \
	  $(SUDO) apt-get install -y -q chromium || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; } || \
	  echo "could not install chromium: the browser tests in tests/test_docs.py will be skipped"; fi

study: setup
	$(BIN)/semiperturb study

test: setup browser
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

nbtest: setup
	$(BIN)/nbdev_test

sync: setup
	$(BIN)/python tools/nbsync.py check

readme:
	$(BIN)/python tools/nbsync.py readme

export:
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(BIN)/python tools/nbsync.py readme

# The committed figures are written only here: each notebook's `#| notest` cells save them into images/.
FIGURE_NBS := nbs/01_augment.ipynb nbs/03_cvae.ipynb nbs/04_perturb.ipynb nbs/04a_pretrain.ipynb nbs/05_fixmatch.ipynb nbs/06_experiments.ipynb nbs/06a_cpu_preset.ipynb
figures: setup
	for nb in $(FIGURE_NBS); do $(BIN)/nbdev_test --flags notest --path $$nb || exit 1; done

# The notebooks that show records, run in place (their `notest` cells too, which save the figures), then the README.
RESULT_NBS := nbs/03_cvae.ipynb nbs/04_perturb.ipynb nbs/04a_pretrain.ipynb nbs/05_fixmatch.ipynb nbs/06_experiments.ipynb nbs/06a_cpu_preset.ipynb nbs/08_bench.ipynb nbs/index.ipynb
results: setup
	$(BIN)/python tools/run_notebooks.py $(RESULT_NBS) --flags notest
	$(BIN)/python tools/nbsync.py readme

docs: setup
	$(BIN)/python tools/docsite.py build

# Every GPU figure of the project on one CUDA GPU (bench, Fashion-MNIST accuracy against time, the slow/cuda cells);
# without CUDA: one line and exit status 2.
gpu: setup
	$(BIN)/python tools/gpu_evidence.py
