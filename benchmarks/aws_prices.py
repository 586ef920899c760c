"""The one table of AWS list prices the cost benchmark uses: us-east-1, on-demand, first pricing tier, in USD.

Each price names where it was read and when. AWS's own pricing pages render their rate tables in the browser
(the page text holds placeholders), so where the figure itself was read from another page, that page is named
beside the official one. Free tiers are left out: they are per account, not per lead.
"""

from __future__ import annotations

from dataclasses import dataclass

READ_ON = "2026-12-04"


@dataclass(frozen=True)
class Price:
    usd: float  # for `per` units
    per: float
    unit: str
    source: str
    read_on: str = READ_ON

    def cost(self, quantity: float) -> float:
        return self.usd * quantity / self.per


PRICES: dict[str, Price] = {
    "dynamodb_write_request_unit": Price(
        0.625,
        1e6,
        "write request units (on-demand, Standard table class)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/ (figure from "
        "https://airbyte.com/data-engineering-resources/dynamodb-pricing: US East after the November 2024 50% reduction)",
    ),
    "dynamodb_read_request_unit": Price(
        0.125,
        1e6,
        "read request units (on-demand, Standard table class)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/ (figure from https://airbyte.com/data-engineering-resources/dynamodb-pricing)",
    ),
    "dynamodb_provisioned_write_capacity_unit_hour": Price(
        0.00065,
        1,
        "write capacity unit-hours (provisioned, Standard table class), shown beside: one unit is 3,600 writes an hour",
        "https://aws.amazon.com/dynamodb/pricing/provisioned/ (us-east-1 list price, as published since 2018)",
    ),
    "dynamodb_provisioned_read_capacity_unit_hour": Price(
        0.00013,
        1,
        "read capacity unit-hours (provisioned, Standard table class), shown beside",
        "https://aws.amazon.com/dynamodb/pricing/provisioned/ (us-east-1 list price, as published since 2018)",
    ),
    "lambda_request": Price(
        0.20,
        1e6,
        "Lambda requests",
        "https://aws.amazon.com/lambda/pricing/ (figure as transcribed from that page in "
        "api-evangelist/aws-lambda plans/aws-lambda-plans-pricing.yml, read 2026-09-20)",
    ),
    "lambda_gb_second_x86": Price(
        0.0000166667,
        1,
        "GB-seconds, x86_64 (the functions' architecture, infra/constructs/functions.py), first 6 billion a month",
        "https://aws.amazon.com/lambda/pricing/ (figure from artillery@2.0.28 lib/platform/aws-lambda/prices.js, "
        "base x86_64, which cites that page)",
    ),
    "api_gateway_rest_request": Price(
        3.50,
        1e6,
        "REST API requests, first 333 million a month",
        "https://aws.amazon.com/api-gateway/pricing/ (figure from api-evangelist/aws-api-gateway "
        "plans/aws-api-gateway-plans-pricing.yml, us-east-1)",
    ),
    "step_functions_standard_transition": Price(
        0.025,
        1000,
        "state transitions, standard workflows",
        "https://aws.amazon.com/step-functions/pricing/ (figure from aws/agent-toolkit-for-aws "
        "architect-for-startups/references/step-functions.md: $0.025/1000 transitions)",
    ),
    "s3_tier1_request": Price(
        0.005,
        1000,
        "S3 Standard PUT, COPY, POST, LIST requests",
        "https://aws.amazon.com/s3/pricing/ (figure from https://c3x.dev/blog/s3-request-fees-explained)",
    ),
    "s3_tier2_request": Price(
        0.0004,
        1000,
        "S3 Standard GET, SELECT and all other requests (HEAD included; DELETE is free)",
        "https://aws.amazon.com/s3/pricing/ (figure from https://c3x.dev/blog/s3-request-fees-explained)",
    ),
    "eventbridge_custom_event": Price(
        1.00,
        1e6,
        "custom events published (each 64 KB chunk of a payload is one event)",
        "https://aws.amazon.com/eventbridge/pricing/ (64 KB rule read there; figure from "
        "https://www.wring.co/blog/aws-eventbridge-pricing-guide: custom events $1.00/million)",
    ),
    "cloudwatch_logs_ingested_gb": Price(
        0.50,
        1,
        "GB of logs ingested, Standard class (Lambda's vended-logs first tier is the same $0.50)",
        "https://aws.amazon.com/cloudwatch/pricing/ (figure from https://www.duckbillgroup.com/?p=9080 on the May 2025 "
        "Lambda tiers, and https://hykell.com/knowledge-base/aws-cloudwatch-logs-pricing)",
    ),
    "xray_trace_recorded": Price(
        5.00,
        1e6,
        "X-Ray traces recorded",
        "https://aws.amazon.com/de/xray/pricing/ (read there: 5 USD per million traces recorded beyond the free tier); "
        "default sampling rule from https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html",
    ),
    "data_transfer_out_gb": Price(
        0.09,
        1,
        "GB out to the internet, first 10 TB a month after the first 100 GB",
        "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer (long-standing list price; not read from a page here)",
    ),
}


def cost(name: str, quantity: float) -> float:
    return PRICES[name].cost(quantity)


def table() -> dict[str, dict[str, object]]:
    """The prices as the report prints them."""
    return {name: {"usd": p.usd, "per": p.per, "unit": p.unit, "source": p.source, "read_on": p.read_on} for name, p in PRICES.items()}
