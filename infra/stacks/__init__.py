"""Stacks compose constructs and nothing else: data that must outlive deployments, and compute/API."""
