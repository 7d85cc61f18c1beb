"""CUSTOM endpoints: any HTTP API, with a request (method, URL, headers, body) written
as templates, and ATSD's ready-made ones (PagerDuty, Jenkins, GitHub, …)."""
