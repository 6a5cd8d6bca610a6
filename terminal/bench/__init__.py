"""Benchmarks: scripts that print their figures (performance is measured here, not in tests)."""
