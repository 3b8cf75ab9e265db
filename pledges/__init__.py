"""Pledges, charges and the provider's webhook events; ``payments/`` is the Stripe gateway.

Beside the usual modules: ``idempotency`` holds the services of request idempotency keys (a
repeated pledge request gets the first answer); ``payments`` the gateway interface (``base``),
its Stripe implementation and the rate limit shared by every worker (``ratelimit``).
"""
