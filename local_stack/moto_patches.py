"""Every patch the local stack makes to moto, installed before its server starts (each module says why)."""

from __future__ import annotations

from local_stack import moto_items, moto_projections, moto_queries, moto_serialization, moto_server, moto_transactions


def install() -> None:
    """Install each patch (idempotent)."""
    moto_transactions.install()  # atomic writes; item-level rollback: moto's whole-table copies make bulk writes quadratic
    moto_serialization.install()  # DynamoDB items read and written as they are, not walked through botocore's model value by value
    moto_items.install()  # an item's size checked once, not once per attribute; read without copies of copies
    moto_queries.install()  # a Query reads its partition, not the whole table sorted
    moto_server.install()  # keep-alive connections; the backend and action lookups done once, not per request
    moto_projections.install()  # a ProjectionExpression converts the attributes it names, not the whole item once per name
