"""The key that signs the API's pagination cursors (leadscoring.domain.cursor): a secret Secrets Manager generates at
deploy time, which no one needs to see. Every function is told its ARN (CURSOR_KEY_SECRET_ARN: Settings checks one
key source is set at cold start); only the functions serving paged routes may read it, once per container."""

from __future__ import annotations

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.compliance import acknowledge

READ_ACTIONS = ["secretsmanager:GetSecretValue"]
NO_ROTATION_REASON = (
    "The secret is an HMAC key that signs pagination cursors, nothing else: no data is encrypted with it and no "
    "one logs in with it, and a cursor is worth one more page of what its caller may already read. Replacing it "
    "(put-secret-value, or a new stack) only makes the cursors in flight a 400 INVALID_CURSOR, after which callers "
    "list again from the first page; warm containers keep the key they read until they are recycled."
)


class CursorKeyConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description="Signs the lead scoring API's pagination cursors (HMAC-SHA256); generated, read by the functions only",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
        )
        acknowledge(self.secret, "AwsSolutions-SMG4", NO_ROTATION_REASON)
