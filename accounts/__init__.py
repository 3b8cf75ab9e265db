"""Users, sign-up, API tokens and the backer's provider Customer.

Beside the usual modules: ``tokens`` holds the API tokens' services (issue, look up, forget
expired; stored hashed), ``login_limits`` the failed-login counters in Redis (per account
and per client), ``authentication`` DRF's token authentication, ``admin_login`` the admin's
login page with the same limits.
"""
