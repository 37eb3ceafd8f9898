"""The analyst notebook runs top to bottom on the demo data, so it never rots."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def test_analyst_notebook_runs():
    nb = nbformat.read(ROOT / "notebooks" / "analyst.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = "".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "Mentored employees were" in outputs
    assert "adjusted estimate:" in outputs
