"""Benchmarks: `python -m benchmarks` (what `make bench` runs) prints one JSON document with every figure
beside the reference it is compared with. Each benchmark is a sibling section of that document."""
