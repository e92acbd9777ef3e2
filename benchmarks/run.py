"""``python benchmarks/run.py``: run the benchmark suite from the repository root.

Same as ``python -m benchmarks``; this file only puts the repository root on ``sys.path``
first, so the ``benchmarks`` package (and a source-tree ``mistral_async``) can be imported.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _main() -> int:
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from benchmarks.harness import main

    return main()


if __name__ == "__main__":
    raise SystemExit(_main())
