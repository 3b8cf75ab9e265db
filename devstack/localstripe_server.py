"""Runs localstripe on 127.0.0.1 without its pickle-on-every-write store.

localstripe pickles its whole store to ``/tmp/localstripe.pickle`` after every
POST: slow (about 22 charges/s, worse as the store grows) and two instances on one
machine overwrite each other's file. Both profiles start from scratch instead.

``--latency-ms`` (default: the ``STRIPE_LATENCY_MS`` environment variable, else 0)
makes every API answer (``/v1/…``) wait that long, as Stripe's own does over the
internet (about 300 ms a call): the wait is an ``asyncio.sleep`` in a middleware, so
the requests meanwhile are served as usual and the delays overlap, never queue.

Stripe's rate limits are emulated (devstack/localstripe_limits.py): past 100 requests a
second, or 25 a second of one operation, the API answers 429 as Stripe does
(``LOCALSTRIPE_RATE_LIMIT``, ``LOCALSTRIPE_OPERATION_RATE_LIMIT``; 0 turns one off).
devstack.localstripe_answers answers as Stripe does where localstripe does not (a SetupIntent
confirmed as it is created; a declined charge's PaymentIntent in its 402).

Stripe Connect (accounts, onboarding links, transfers, the balance, charges' fees) is
added by devstack.localstripe_connect; ``--fee-percent``/``--fee-fixed`` (defaults:
``STRIPE_FEE_PERCENT``/``STRIPE_FEE_FIXED``, else Stripe's US card pricing, 2.9 % + 30
minor units) set the processing fee of every charge's balance transaction.
"""

import argparse
import asyncio
import logging
import os
from decimal import Decimal

from aiohttp import web
from localstripe import resources, server

from . import localstripe_answers, localstripe_connect, localstripe_limits, localstripe_snapshot, localstripe_speed


def latency_middleware(seconds: float):
    @web.middleware
    async def delay(request: web.Request, handler):
        if request.path.startswith("/v1/"):
            await asyncio.sleep(seconds)
        return await handler(request)

    return delay


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=int(os.environ.get("STRIPE_LATENCY_MS") or 0),
        help="delay every API answer by this many milliseconds (default: $STRIPE_LATENCY_MS or 0)",
    )
    parser.add_argument(
        "--fee-percent",
        type=Decimal,
        default=Decimal(os.environ.get("STRIPE_FEE_PERCENT") or "2.9"),
        help="a charge's processing fee: this percentage of it (default: $STRIPE_FEE_PERCENT or 2.9) ...",
    )
    parser.add_argument(
        "--fee-fixed",
        type=int,
        default=int(os.environ.get("STRIPE_FEE_FIXED") or 30),
        help="... plus this many minor units (default: $STRIPE_FEE_FIXED or 30)",
    )
    parser.add_argument(
        "--public-url",
        default="",
        help="the emulator's address as a browser reaches it, for the pages Connect's links open "
        "(default: the address the API was called at)",
    )
    args = parser.parse_args()

    resources.Store.dump_to_disk = lambda self: None
    localstripe_speed.install()  # before anything is stored
    localstripe_connect.install(
        server.app, fee_percent=args.fee_percent, fee_fixed=args.fee_fixed, public_url=args.public_url
    )
    if args.latency_ms > 0:
        server.app.middlewares.insert(0, latency_middleware(args.latency_ms / 1000))
    localstripe_limits.install(server.app)  # first: Stripe's 429s, and the calls counted
    localstripe_answers.install()  # where localstripe answers otherwise than Stripe
    localstripe_snapshot.install(server.app)  # for tests that build their data once per module
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(server.app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
