"""Every notebook in notebooks/ runs top to bottom in a Jupyter kernel, on small data, and is stored clean.

The notebooks are .ipynb files kept without outputs (readers open them directly in Jupyter,
VS Code or Colab; diffs stay reviewable). Each has one cell tagged "parameters" holding the book's
settings; the test replaces it with the small settings below (the papermill convention), runs
every cell with nbclient, and requires the inline figures to appear.
"""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
QUICK = {
    "DATASET": '"embedded"', "ITERATIONS": "30", "TRAIN_SIZE": "500", "BN_EPOCHS": "2", "BN_SCALES": "2",
    "OVERFIT_EPOCHS": "3", "SEARCH_TRIALS": "2", "SEARCH_EPOCHS": "2",
    "SIZES": "[1, 4]", "REPEATS": "1",  # forward_and_reverse: the timing sweep
    "EPOCHS": "1", "TRAIN_IMAGES": "200", "TEST_IMAGES": "100", "FLOAT16_IMAGES": "10",  # ch07, ch08: the conv nets
    "EXAMPLES": repr(str(ROOT / "examples")),  # the kernel runs in a temporary directory, not notebooks/
}


def _parameters_cell(notebook) -> int:
    tagged = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"expected one cell tagged 'parameters', found {len(tagged)}"
    return tagged[0]


def test_there_is_a_notebook_per_chapter():
    names = [path.name[:4] for path in NOTEBOOKS]
    assert {"ch04", "ch05", "ch06", "ch07", "ch08"} <= set(names), names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [i for i, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_on_small_data(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    index = _parameters_cell(notebook)
    names = [line.split("=")[0].strip() for line in notebook.cells[index].source.splitlines()
             if "=" in line and not line.lstrip().startswith("#")]
    unknown = [name for name in names if name not in QUICK]
    assert not unknown, f"{path.name}: no small setting for {unknown}; add it to QUICK"
    notebook.cells[index].source = "\n".join(f"{name} = {QUICK[name]}" for name in names)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"{path.name}: {error}")
    images = sum(1 for cell in notebook.cells if cell.cell_type == "code"
                 for output in cell.outputs if "image/png" in output.get("data", {}))
    assert images >= 1, f"{path.name} showed no figure"
    errors = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
              if output.output_type == "error"]
    assert not errors
