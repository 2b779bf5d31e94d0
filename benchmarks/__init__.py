"""The performance figures of sistercity, each against its floor: ``python -m benchmarks``."""
