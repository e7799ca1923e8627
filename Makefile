# Entry points for a fresh machine with only Python 3.11+; each creates .venv on first use and
# reinstalls only when pyproject.toml changes.
#   make demo     train the chapter-6 network on real images (README)
#   make test     the whole test suite (installs the dev and docs extras)
#   make torch    add the optional PyTorch oracle, CPU build, to .venv
#   make lint     ruff and mypy
#   make docs     build the reference site into site/ (mkdocs build --strict)
#   make ci       what .ci/run runs: torch, lint, docs, test, numpy-floor
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# WITH_TORCH=1 makes `make test` run `make torch` first.
WITH_TORCH ?= 0
TORCH_VERSION ?= 2.13.0
# PyTorch's own index of CPU-only wheels (about 200 MB). PyPI's default Linux build of torch pulls
# several GB of CUDA libraries that the comparison tests never use.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# The oldest NumPy pyproject.toml accepts; `make numpy-floor` runs the core tests against it.
NUMPY_FLOOR := $(shell sed -n 's/.*"numpy>=\([0-9.]*\)".*/\1/p' pyproject.toml)
FLOOR_VENV := .venv-numpy-floor

.PHONY: demo test torch lint docs ci numpy-floor bench before-after book clean

$(VENV)/.installed-demo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[plot,progress]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[dev,docs]"
	touch $@

$(VENV)/.installed-torch: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet "torch==$(TORCH_VERSION)" --index-url $(TORCH_INDEX)
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/python examples/demo.py

torch: $(VENV)/.installed-torch

ifeq ($(WITH_TORCH),1)
test: $(VENV)/.installed-dev $(VENV)/.installed-torch
else
test: $(VENV)/.installed-dev
endif
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

docs: $(VENV)/.installed-dev
	$(BIN)/mkdocs build --strict --site-dir site

# A throwaway venv with the oldest supported NumPy and the package installed (not editable); the
# tests whose results depend on NumPy's dtype and promotion rules run against it.
numpy-floor:
	rm -rf $(FLOOR_VENV)
	$(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_VENV)/bin/python -m pip install --quiet "numpy==$(NUMPY_FLOOR).*" pytest hypothesis .
	cd tests && ../$(FLOOR_VENV)/bin/python -m pytest -p no:cacheprovider test_tensor.py test_ops_forward.py \
		test_functional.py test_nn.py test_optim.py test_serialization.py test_data.py test_smoke.py
	$(FLOOR_VENV)/bin/python -c "import numpy; assert numpy.__version__.startswith('$(NUMPY_FLOOR).'), numpy.__version__"

ci: torch test numpy-floor

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE pin an old OpenBLAS kernel on some machines (a workaround
# for old builds); unset for this command alone, the header prints the kernel that ran.
# WITH_TORCH=1 adds PyTorch's column (the same flag as for `make test`).
ifeq ($(WITH_TORCH),1)
bench: $(VENV)/.installed-dev $(VENV)/.installed-torch
else
bench: $(VENV)/.installed-dev
endif
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# BEFORE=<commit>: MLP steps of the package at that commit against this tree, paired in one process
before-after: $(VENV)/.installed-dev
	@test -n "$(BEFORE)" || { echo "make before-after needs BEFORE=<commit>, e.g. BEFORE=d7bb41f"; exit 2; }
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m benchmarks.before_after --before $(BEFORE) $(BENCH_ARGS)

# BOOK_EPOCHS=1: train the chapter 7 and 8 conv nets for the book's 20 epochs (hours on 2 cores)
book: $(VENV)/.installed-demo
	$(BIN)/python examples/run_book.py $(if $(BOOK_EPOCHS),--book-epochs)

clean:
	rm -rf $(VENV) $(FLOOR_VENV) build site *.egg-info
