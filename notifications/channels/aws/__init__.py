"""AWS endpoints: AWS API (ATSD's signed request to any AWS service), SNS and SQS.

Stored, not sent yet: the forms and XML mappings keep what ATSD exports carry.
"""
