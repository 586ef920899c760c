"""The cost benchmark's meter (benchmarks/aws_meter.py) sees the AWS requests of one POST /score on the real local
stack, prices the items as moto stores them, and times the handler that made them."""

from __future__ import annotations

from botocore import handlers
from werkzeug.test import Client

from benchmarks.aws_meter import AwsMeter
from benchmarks.dynamodb_capacity import TableModel, item_size
from leadscoring.data.keys import lead_item_key
from leadscoring.resources import AUDIT, LEADS, TABLES

from .conftest import Tenant
from .support import Api, Tables, lead_body


def test_the_meter_records_the_requests_of_one_score(tenant: Tenant, tables: Tables, unique: str) -> None:
    from local_stack.gateway import LocalGateway

    meter = AwsMeter(TableModel.from_spec(spec) for spec in TABLES)
    with meter.installed():
        gateway = LocalGateway()
        score = gateway.functions["score"]
        vars(score)["lambda_handler"] = meter.metered("score", score.lambda_handler, 1024)  # the module's own attribute
        api = Api(Client(gateway))
        body = lead_body(f"cost-{unique}@example.com", attributes={"behavioral": {"page_views": 12}})
        with meter.window("one score") as window:
            reply = api.post("/score", tenant.integration, body=body)
        assert reply.status == 200, reply.body
        recorded = len(window.requests)
        api.post("/score", tenant.integration, body=lead_body(f"cost-outside-{unique}@example.com"))  # no window open
        assert len(window.requests) == recorded
    assert all(spec not in handlers.BUILTIN_HANDLERS for spec in meter._hooks)

    [invocation] = [i for i in window.invocations if i.function == "score"]
    assert invocation.duration_ms > 0
    assert invocation.log_bytes > 0  # its EMF metric line, as Lambda would send it to CloudWatch Logs
    dynamodb = [r for r in window.requests if r.service == "dynamodb"]
    assert dynamodb, "the hooks recorded no DynamoDB request"
    assert all(r.costing_error is None for r in dynamodb), [r.costing_error for r in dynamodb]
    made_by_score = [r for r in dynamodb if r.invocation is invocation]
    assert any(r.read for r in made_by_score) and any(r.write for r in made_by_score)
    assert (
        sum(units for r in made_by_score for (table, index), units in r.write.items() if table == LEADS.local_name and index is None) >= 1
    )

    # What the meter says it stored is what moto holds, sized by the same rules.
    written = {table: size for r in made_by_score for table, size in r.written}
    assert set(written) >= {LEADS.local_name, AUDIT.local_name}
    stored = tables.client.get_item(
        TableName=LEADS.local_name, Key={k: {"S": v} for k, v in lead_item_key(tenant.client_id, reply.body["id"]).items()}
    )
    wire = {name: dict(value) for name, value in stored["Item"].items()}  # plain dicts, as the meter reads them
    assert written[LEADS.local_name] == item_size(wire)
