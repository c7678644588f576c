"""`make bench`: the eight measurements of `docs/performance.md`, each beside its baseline.

Run `python -m bench.run` (or `make bench`); see `bench/run.py` for the options.
"""
