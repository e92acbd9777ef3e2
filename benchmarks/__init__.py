"""Benchmark suite of ``mistral_async``: run it with ``python -m benchmarks`` (see README.md)."""
