"""API Gateway's own answers: the requests it refuses before any function runs, written once.

The CDK app turns each into a GatewayResponse (infra/constructs/api.py) and the local gateway answers the same
(local_stack/gateway.py); an infra test and an integration test check each against this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadscoring.schemas.errors import ErrorInfo, ErrorResponse

# API Gateway refuses a larger request payload itself (a REST API's hard limit).
GATEWAY_MAX_BODY = 10 * 1024 * 1024


@dataclass(frozen=True)
class GatewayResponse:
    response_type: str  # API Gateway's GatewayResponse type (aws_apigateway.ResponseType)
    status: int
    code: str
    message: str
    answers: str  # the requests it is the answer to

    def __post_init__(self) -> None:
        # The CDK puts the body in a Velocity template, where $ and # would be read as code.
        if any(c in self.code + self.message for c in "$#"):
            raise ValueError(f"{self.response_type}: no '$' or '#' in a gateway response's code or message")

    def body(self) -> dict[str, Any]:
        """The product's error shape: {"error": {"code", "message", "details": []}}."""
        return ErrorResponse(error=ErrorInfo(code=self.code, message=self.message)).model_dump(mode="json")


# API Gateway answers an unknown path and an unknown method on a known path with the same response type
# (MISSING_AUTHENTICATION_TOKEN, before any authorizer runs), so both are one answer here too.
NO_SUCH_ENDPOINT = GatewayResponse(
    "MISSING_AUTHENTICATION_TOKEN", 404, "NOT_FOUND", "No such endpoint", "an unknown path, or a method its path does not have"
)
UNAUTHORIZED = GatewayResponse(
    "UNAUTHORIZED", 401, "UNAUTHORIZED", "Missing or invalid API key (x-api-key)", "no x-api-key header, or a key the authorizer refuses"
)
ACCESS_DENIED = GatewayResponse(
    "ACCESS_DENIED", 403, "FORBIDDEN", "This API key's role may not call this endpoint", "a key whose role the route table does not allow"
)
REQUEST_TOO_LARGE = GatewayResponse(
    "REQUEST_TOO_LARGE", 413, "PAYLOAD_TOO_LARGE", "Request too large for API Gateway (10 MB)", "a body over API Gateway's 10 MB limit"
)
GATEWAY_RESPONSES: tuple[GatewayResponse, ...] = (NO_SUCH_ENDPOINT, UNAUTHORIZED, ACCESS_DENIED, REQUEST_TOO_LARGE)
