"""``python -m benchmarks``: run the benchmark suite (``--help`` for the options)."""

from benchmarks.harness import main

raise SystemExit(main())
