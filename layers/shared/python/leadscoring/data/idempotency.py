"""Where idempotency records live: Powertools' DynamoDB persistence layer on the idempotency table."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer


def idempotency_store(table: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table)
