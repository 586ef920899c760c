"""Pydantic models: the spec's field names exactly, and the API's contract (OpenAPI is generated from them)."""
