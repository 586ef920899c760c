"""The CDK app: stacks compose constructs; constructs are driven by leadscoring.routes and leadscoring.resources."""
