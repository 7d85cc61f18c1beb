"""AWS endpoints: SNS (publish to a topic) and SQS (send to a queue), signed with SigV4;
AWS API (ATSD's signed request to any AWS service), stored, not sent yet."""
