"""The demo: its data (Amanda Palmer's 2012 campaign and a few others) and its tooling.

Modules: ``services`` loads the demo's data (idempotent; ``manage.py load_demo``), ``cards``
makes the provider's test cards into PaymentMethods as Stripe.js would (localstripe or
Stripe's test mode only); the commands ``demo_setup`` (the demo's staff user and webhook),
``load_demo`` and ``simulate_campaign`` (a campaign replayed over HTTP, ``make simulate``).
Nothing else imports this app: it sits at the top of the layers, beside ``web``.
"""
