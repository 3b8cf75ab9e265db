"""Closing and cancelling campaigns, collection, errored-pledge retries and webhook handling.

Its services are a package (``services/``: campaigns, collection, webhooks); ``selectors``
reads, ``tasks`` the thin Celery tasks, ``api`` the webhook endpoint.
"""
