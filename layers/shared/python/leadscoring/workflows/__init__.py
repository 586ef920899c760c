"""Step Functions definitions (Amazon States Language), shared by the CDK app and the local stack."""
