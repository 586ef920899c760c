"""Use cases: orchestrate domain logic and data access for the handlers."""
