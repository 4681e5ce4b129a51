"""Providers against local servers that check the documented requests and answer like the services."""
