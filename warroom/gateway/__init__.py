"""The HTTP gateway (FastAPI): health, outbox, and (later) alert webhooks, chat and the REST API."""
