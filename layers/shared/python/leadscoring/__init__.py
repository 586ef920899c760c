"""Lead scoring: the shared package deployed as a Lambda layer.

Layers never reach upward: schemas -> domain -> data -> api (handlers).
"""

API_PREFIX = "/api/v1/leadscoring"
