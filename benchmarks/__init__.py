"""Benchmarks, run by ``make bench``: each figure is reported beside a baseline measured in the same run."""
