"""Strip outputs, execution counts and run metadata from notebooks, or check that they are stripped.

Usage: ``python notebooks/strip.py [--check] [NOTEBOOK ...]`` (default: every notebook beside this file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

RUN_METADATA = ("execution", "collapsed", "scrolled")


def strip(notebook: nbformat.NotebookNode) -> bool:
    """Remove outputs, execution counts and per-run cell metadata in place; True if anything changed."""
    changed = False
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if cell.outputs or cell.execution_count is not None:
            cell.outputs, cell.execution_count, changed = [], None, True
        for key in RUN_METADATA:
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    return changed


def unstripped(path: Path) -> bool:
    """True if the notebook at ``path`` still carries outputs or run metadata."""
    return strip(nbformat.read(path, as_version=4))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that need stripping")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path(__file__).parent.glob("*.ipynb"))
    dirty = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if strip(notebook):
            dirty.append(path)
            if not args.check:
                nbformat.write(notebook, path)
    for path in dirty:
        print(f"{path}: {'has outputs' if args.check else 'stripped'}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
