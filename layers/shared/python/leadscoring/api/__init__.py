"""HTTP handlers: parse, authorize, call a service, shape the response."""
