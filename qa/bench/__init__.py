"""Benchmark scripts: each prints tables (speed, accuracy) measured on this machine."""
