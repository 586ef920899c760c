"""The dashboard site: build/dashboard deployed to the private DashboardBucket and served by CloudFront.

One origin for the browser: the site from S3 through Origin Access Control, and `/api/*` from the REST API's
stage, so the dashboard calls the API without CORS. A CloudFront Function answers the app's routes with
index.html (deep links), and every response carries the security headers of dashboard/site.json, the same
routes and headers the local gateway serves.
"""

from __future__ import annotations

import json

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct, IConstruct

from infra import config
from infra.compliance import acknowledge
from infra.constructs.buckets import DASHBOARD, bucket_name, bucket_objects_nag_resource

SITE_DIR = config.ROOT / "build" / "dashboard"  # built by `make dashboard`
SITE = json.loads((config.ROOT / "dashboard" / "site.json").read_text())
API_PATH_PATTERN = "/api/*"
INDEX = "index.html"
# index.html names the content-hashed assets/ folder, so it is revalidated on every load; assets never change.
INDEX_CACHE = [s3_deployment.CacheControl.no_cache()]
ASSET_CACHE = [
    s3_deployment.CacheControl.set_public(),
    s3_deployment.CacheControl.max_age(Duration.days(365)),
    s3_deployment.CacheControl.immutable(),
]

NO_CUSTOM_DOMAIN_REASON = (
    "No custom domain yet: the distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the viewer "
    "security policy (TLSv1) and an SNI/TLS minimum cannot be chosen. Viewers are redirected to HTTPS; set a domain and an ACM "
    "certificate with minimum_protocol_version TLS_V1_2_2021 to lift this."
)
NO_WAF_REASON = (
    "The site is static files and the API behind /api/* is the same REST API reachable directly, protected by its API key "
    "authorizer and stage throttling; a CloudFront web ACL must live in us-east-1 and is left to the deploying account."
)
NO_GEO_REASON = "The admin dashboard is used wherever a client's staff works; access is controlled by API keys, not by country."
NO_CF_LOGS_REASON = (
    "CloudFront standard logging needs an ACL-enabled bucket, and every bucket here enforces BucketOwnerEnforced (ACLs disabled). "
    "Requests are recorded by the dashboard bucket's S3 server access logs and the API stage's access logs."
)
DEPLOYMENT_FUNCTION_REASON = (
    "CDK's BucketDeployment provider: a CloudFormation custom-resource handler, run only at deploy time, whose runtime, role "
    "(AWSLambdaBasicExecutionRole), S3 and CloudFront permissions and invocation come from aws-cdk-lib, not from this project."
)


def spa_function_code(routes: list[str]) -> str:
    """The viewer-request function: the app's routes (with or without a trailing slash) become /index.html."""
    paths = sorted({route.rstrip("/") for route in routes if route != "/"})
    return (
        f"var ROUTES = {json.dumps(dict.fromkeys(paths, True))};\n"
        "function handler(event) {\n"
        "  var request = event.request;\n"
        '  var path = request.uri.replace(/\\/+$/, "");\n'
        '  if (path === "" || ROUTES[path]) { request.uri = "/' + INDEX + '"; }\n'
        "  return request;\n"
        "}\n"
    )


def site_read_statements(bucket: s3.IBucket) -> list[iam.PolicyStatement]:
    """What CloudFront (any distribution of this account) may read: the site's objects, and the listing that turns
    a missing object into a 404 rather than a 403.

    The statement sits on the bucket in the stateful stack, while the distribution lives in the stateless stack
    beside the API it routes to: naming the distribution's own ARN here would make the two stacks depend on each
    other. The bucket holds only the public static site, so any distribution of this account reading it exposes
    nothing that the site does not already serve.
    """
    condition = {
        "StringEquals": {"AWS:SourceAccount": Aws.ACCOUNT_ID},
        "ArnLike": {"AWS:SourceArn": f"arn:{Aws.PARTITION}:cloudfront::{Aws.ACCOUNT_ID}:distribution/*"},
    }
    principal = iam.ServicePrincipal("cloudfront.amazonaws.com")
    return [
        iam.PolicyStatement(actions=[action], resources=[resource], principals=[principal], conditions=condition)
        for action, resource in (("s3:GetObject", bucket.arn_for_objects("*")), ("s3:ListBucket", bucket.bucket_arn))
    ]


def grant_site_reads_to_cloudfront(bucket: s3.IBucket) -> None:
    """Called by the stack that owns the bucket (its policy lives there)."""
    for statement in site_read_statements(bucket):
        bucket.add_to_resource_policy(statement)


def response_headers_behavior() -> tuple[cloudfront.ResponseSecurityHeadersBehavior, list[cloudfront.ResponseCustomHeader]]:
    headers = dict(SITE["headers"])
    hsts_parts = [part.strip().partition("=") for part in headers.pop("Strict-Transport-Security").split(";")]
    hsts = {name: value for name, _, value in hsts_parts}
    security = cloudfront.ResponseSecurityHeadersBehavior(
        content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
            content_security_policy=headers.pop("Content-Security-Policy"), override=True
        ),
        strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
            access_control_max_age=Duration.seconds(int(hsts["max-age"])), include_subdomains="includeSubDomains" in hsts, override=True
        ),
        content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True) if headers.pop("X-Content-Type-Options") else None,
        frame_options=cloudfront.ResponseHeadersFrameOptions(
            frame_option=cloudfront.HeadersFrameOption[headers.pop("X-Frame-Options").upper()], override=True
        ),
        referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
            referrer_policy=cloudfront.HeadersReferrerPolicy[headers.pop("Referrer-Policy").upper().replace("-", "_")], override=True
        ),
    )
    custom = [cloudfront.ResponseCustomHeader(header=name, value=value, override=True) for name, value in headers.items()]
    return security, custom


class DashboardSiteConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, api: apigw.IRestApi) -> None:
        super().__init__(scope, construct_id)
        if not (SITE_DIR / INDEX).is_file():
            raise FileNotFoundError(f"{SITE_DIR / INDEX} is missing: run `make dashboard` (make synth and make test-infra do)")
        # The bucket belongs to the stateful stack and is addressed by its fixed name (no cross-stack export);
        # its policy (grant_site_reads_to_cloudfront) is written there.
        bucket = s3.Bucket.from_bucket_attributes(self, "SiteBucket", bucket_name=bucket_name(DASHBOARD), region=Aws.REGION)
        access_control = cloudfront.S3OriginAccessControl(self, "OriginAccessControl", description="Dashboard site bucket, signed requests")
        site_origin = origins.S3BucketOrigin.with_origin_access_control(
            bucket, origin_access_control=access_control, origin_access_levels=[cloudfront.AccessLevel.READ, cloudfront.AccessLevel.LIST]
        )
        api_origin = origins.HttpOrigin(
            f"{api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}",
            origin_path=f"/{config.API_STAGE}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )
        security, custom = response_headers_behavior()
        self.headers_policy = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Dashboard and API security headers (dashboard/site.json)",
            security_headers_behavior=security,
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(custom_headers=custom) if custom else None,
        )
        self.spa_function = cloudfront.Function(
            self,
            "SpaRoutes",
            code=cloudfront.FunctionCode.from_inline(spa_function_code(SITE["routes"])),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Deep links: the dashboard's routes are answered with /index.html",
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{config.RESOURCE_PREFIX} dashboard and API",
            default_root_object=INDEX,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            default_behavior=cloudfront.BehaviorOptions(
                origin=site_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers_policy,
                function_associations=[
                    cloudfront.FunctionAssociation(function=self.spa_function, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)
                ],
            ),
            additional_behaviors={
                # Same origin as the site: the browser sends x-api-key to /api/* without a CORS preflight.
                API_PATH_PATTERN: cloudfront.BehaviorOptions(
                    origin=api_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    # Every header (x-api-key, Idempotency-Key) and query string, but API Gateway's own Host.
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=self.headers_policy,
                )
            },
        )
        # Assets first (never pruned: a tab still holding the previous index.html keeps loading its assets), then
        # index.html, which switches viewers to the new assets; its invalidation makes the switch immediate.
        source = s3_deployment.Source.asset(str(SITE_DIR))
        assets = s3_deployment.BucketDeployment(
            self,
            "DeployAssets",
            destination_bucket=bucket,
            sources=[source],
            exclude=[INDEX],
            prune=False,
            cache_control=ASSET_CACHE,
            memory_limit=256,
        )
        index = s3_deployment.BucketDeployment(
            self,
            "DeployIndex",
            destination_bucket=bucket,
            sources=[source],
            exclude=["*"],
            include=[INDEX],
            prune=False,
            cache_control=INDEX_CACHE,
            distribution=self.distribution,
            distribution_paths=["/", f"/{INDEX}"],
            memory_limit=256,
        )
        index.node.add_dependency(assets)
        self.url = f"https://{self.distribution.distribution_domain_name}"

        acknowledge(self.distribution, "AwsSolutions-CFR4", NO_CUSTOM_DOMAIN_REASON)
        acknowledge(self.distribution, "AwsSolutions-CFR2", NO_WAF_REASON)
        acknowledge(self.distribution, "AwsSolutions-CFR1", NO_GEO_REASON)
        acknowledge(self.distribution, "AwsSolutions-CFR3", NO_CF_LOGS_REASON)
        for provider in deployment_providers(Stack.of(self)):
            for rule in DEPLOYMENT_PROVIDER_FINDINGS:
                acknowledge(provider, rule, DEPLOYMENT_FUNCTION_REASON)


# What cdk-nag reports on aws-cdk-lib's BucketDeployment handler: its managed logging policy, the grants
# BucketDeployment writes (s3:GetObject*/List*/DeleteObject*/Abort* on the CDK assets bucket and the site bucket,
# cloudfront:CreateInvalidation, which has no resource-level permission for a distribution created alongside),
# its runtime, and a synchronous custom-resource invocation that needs no dead-letter queue or tracing.
DEPLOYMENT_PROVIDER_FINDINGS = [
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    "AwsSolutions-IAM5[Action::s3:GetBucket*]",
    "AwsSolutions-IAM5[Action::s3:GetObject*]",
    "AwsSolutions-IAM5[Action::s3:List*]",
    "AwsSolutions-IAM5[Action::s3:Abort*]",
    "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]",
    f"AwsSolutions-IAM5[Resource::{bucket_objects_nag_resource(DASHBOARD)}]",
    "AwsSolutions-IAM5[Resource::*]",
    "AwsSolutions-L1",
    "Serverless-LambdaLatestVersion",
    "Serverless-LambdaDLQ",
    "Serverless-LambdaTracing",
]


def deployment_providers(stack: Stack) -> list[IConstruct]:
    """The BucketDeployment handler: a singleton at the stack's root, shared by every BucketDeployment of a memory size."""
    return [child for child in stack.node.children if child.node.id.startswith("Custom::CDKBucketDeployment")]
