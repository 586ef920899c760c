"""Data access: the only modules that touch boto3."""
