# Two entry points for a fresh machine with only Python 3.11+: `make demo` and `make test`.
# Each creates .venv on first use and reinstalls only when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# WITH_TORCH=1 also installs the CPU build of PyTorch, the optional oracle some tests compare with.
WITH_TORCH ?= 0

.PHONY: demo test bench book clean

$(VENV)/.installed-demo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[plot,progress]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

$(VENV)/.installed-torch: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/python examples/demo.py

ifeq ($(WITH_TORCH),1)
test: $(VENV)/.installed-dev $(VENV)/.installed-torch
else
test: $(VENV)/.installed-dev
endif
	$(BIN)/python -m pytest

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE pin an old OpenBLAS kernel on some machines (a workaround
# for old builds); unset for this command alone, the header prints the kernel that ran.
bench: $(VENV)/.installed-dev
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m benchmarks.run $(BENCH_ARGS)

book: $(VENV)/.installed-demo
	$(BIN)/python examples/run_book.py

clean:
	rm -rf $(VENV) build *.egg-info
