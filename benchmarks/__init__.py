"""The benchmark suite of sgdlearn: ``python benchmarks/run.py`` (see README.md)."""
