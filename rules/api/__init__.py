"""JSON Data API of the alert store (ATSD ``/api/v1/alerts/*``)."""
