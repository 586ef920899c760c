"""The dashboard stack: a private bucket read only through CloudFront's Origin Access Control, deep links
rewritten by a CloudFront Function (run here in Node), the API under /api/* on the same origin, the security
headers and routes of dashboard/site.json, and build/dashboard deployed with the right caching."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra import config
from infra.constructs.dashboard import SITE, SITE_DIR
from infra.stacks.dashboard import DASHBOARD_STACK
from tests.infra.conftest import Synthesized

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


@pytest.fixture(scope="module")
def dashboard(synthesized: Synthesized) -> Template:
    assembly = synthesized.app.synth()  # the session's assembly, already synthesized
    return Template.from_json(json.loads(json.dumps(assembly.get_stack_by_name(DASHBOARD_STACK).template)))


def _one(synthesized: Synthesized, template: Template, type_: str) -> dict[str, Any]:
    found = synthesized.resources(template, type_)
    assert len(found) == 1, (type_, list(found))
    return dict(next(iter(found.values()))["Properties"])


def _distribution(synthesized: Synthesized, dashboard: Template) -> dict[str, Any]:
    return dict(_one(synthesized, dashboard, "AWS::CloudFront::Distribution")["DistributionConfig"])


def _dashboard_bucket_id(synthesized: Synthesized) -> str:
    for logical_id, resource in synthesized.resources(synthesized.stateful, "AWS::S3::Bucket").items():
        if "DashboardBucket" in logical_id:
            props = resource["Properties"]
            assert props["PublicAccessBlockConfiguration"] == {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
            assert "WebsiteConfiguration" not in props, "served by CloudFront, never as an S3 website"
            return logical_id
    raise AssertionError("no dashboard bucket")


def test_the_bucket_is_private_and_only_cloudfront_of_this_account_reads_it(synthesized: Synthesized) -> None:
    bucket = _dashboard_bucket_id(synthesized)
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synthesized.resources(synthesized.stateful, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    assert len(policies) == 1
    allows = [s for s in policies[0] if s["Effect"] == "Allow"]
    assert {s["Action"] for s in allows} == {"s3:GetObject", "s3:ListBucket"}
    for statement in allows:
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert statement["Condition"]["StringEquals"] == {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}
        assert "cloudfront::" in json.dumps(statement["Condition"]["ArnLike"]["AWS:SourceArn"])
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policies[0])


def test_the_site_origin_signs_with_origin_access_control(synthesized: Synthesized, dashboard: Template) -> None:
    oac = _one(synthesized, dashboard, "AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == ("s3", "always", "sigv4")
    distribution = _distribution(synthesized, dashboard)
    site = next(o for o in distribution["Origins"] if "S3OriginConfig" in o)
    assert site["S3OriginConfig"] == {"OriginAccessIdentity": ""}, "OAC, not a legacy origin access identity"
    assert "OriginAccessControlId" in site
    assert f"{config.RESOURCE_PREFIX}-dashboard-" in json.dumps(site["DomainName"])
    assert distribution["DefaultCacheBehavior"]["TargetOriginId"] == site["Id"]
    assert distribution["DefaultRootObject"] == "index.html"
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert "CustomErrorResponses" not in distribution, "error rewrites would also swallow the API's 403 and 404"


def _run_function(code: str, uri: str) -> str:
    script = code + "\nprocess.stdout.write(handler({request: {uri: process.argv[1], method: 'GET', headers: {}}}).uri);"
    result = subprocess.run(["node", "-e", script, uri], capture_output=True, text=True, timeout=30, check=True)
    return result.stdout


def test_the_spa_function_sends_the_app_routes_to_index_html(synthesized: Synthesized, dashboard: Template) -> None:
    function = _one(synthesized, dashboard, "AWS::CloudFront::Function")
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    code = function["FunctionCode"]
    for route in ("/lead-scoring", "/lead-scoring-settings", "/lead-scoring-audit", "/lead-scoring-audit/", "/"):
        assert _run_function(code, route) == "/index.html", route
    for path in ("/assets/abc123/app.js", "/favicon.ico", "/lead-scoring-settings/x", "/lead-scoringx"):
        assert _run_function(code, path) == path
    association = _distribution(synthesized, dashboard)["DefaultCacheBehavior"]["FunctionAssociations"]
    assert [a["EventType"] for a in association] == ["viewer-request"]


def test_the_app_and_cloudfront_know_the_same_routes() -> None:
    app_js = (config.ROOT / "dashboard" / "src" / "app.js").read_text()
    block = re.search(r"const ROUTES = \{(.*?)\};", app_js, re.S)
    assert block
    assert set(re.findall(r'"(/[^"]*)":', block.group(1))) == set(SITE["routes"])


def test_api_paths_go_to_the_rest_api_stage_uncached(synthesized: Synthesized, dashboard: Template) -> None:
    distribution = _distribution(synthesized, dashboard)
    [api] = [b for b in distribution["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER  # x-api-key reaches the authorizer
    assert {"GET", "POST", "PUT", "DELETE"} <= set(api["AllowedMethods"])
    assert api["ViewerProtocolPolicy"] == "https-only"
    origin = next(o for o in distribution["Origins"] if o["Id"] == api["TargetOriginId"])
    assert origin["OriginPath"] == f"/{config.API_STAGE}"
    assert origin["CustomOriginConfig"] == {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]}
    domain = json.dumps(origin["DomainName"])
    assert ".execute-api." in domain and config.STATELESS_STACK in domain  # the REST API's id, exported by the stateless stack


def test_every_response_carries_the_security_headers_of_site_json(synthesized: Synthesized, dashboard: Template) -> None:
    policy = _one(synthesized, dashboard, "AWS::CloudFront::ResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
    security, custom = policy["SecurityHeadersConfig"], policy["CustomHeadersConfig"]["Items"]
    headers = SITE["headers"]
    assert security["ContentSecurityPolicy"]["ContentSecurityPolicy"] == headers["Content-Security-Policy"]
    assert security["FrameOptions"]["FrameOption"] == headers["X-Frame-Options"]
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == headers["Referrer-Policy"]
    assert "ContentTypeOptions" in security
    assert f"max-age={security['StrictTransportSecurity']['AccessControlMaxAgeSec']}" in headers["Strict-Transport-Security"]
    assert {h["Header"]: h["Value"] for h in custom} == {"Permissions-Policy": headers["Permissions-Policy"]}
    distribution = _distribution(synthesized, dashboard)
    policy_id = distribution["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]
    assert all(b["ResponseHeadersPolicyId"] == policy_id for b in distribution["CacheBehaviors"])


def test_the_build_is_deployed_assets_first_then_index_html_with_an_invalidation(synthesized: Synthesized, dashboard: Template) -> None:
    assert (SITE_DIR / "index.html").is_file()
    deployments = synthesized.resources(dashboard, "Custom::CDKBucketDeployment")
    by_cache = {d["Properties"]["SystemMetadata"]["cache-control"]: (logical_id, d) for logical_id, d in deployments.items()}
    assert set(by_cache) == {"no-cache", "public, max-age=31536000, immutable"}
    index_id, index = by_cache["no-cache"]
    assets_id, assets = by_cache["public, max-age=31536000, immutable"]
    assert index["Properties"]["Include"] == ["index.html"] and assets["Properties"]["Exclude"] == ["index.html"]
    assert assets_id in index.get("DependsOn", [])
    assert index["Properties"]["DistributionPaths"] == ["/", "/index.html"]
    for _, deployment in by_cache.values():
        assert f"{config.RESOURCE_PREFIX}-dashboard-" in json.dumps(deployment["Properties"]["DestinationBucketName"])
        assert deployment["Properties"]["Prune"] is False
    assert index_id != assets_id
