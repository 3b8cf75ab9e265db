"""A Celery app for the payout fault test: production's, whose worker processes die once
(``os._exit``, as a SIGKILL would) right after the provider answered a transfer and before the
database recorded it. The test starts a worker with ``-A tests.support.payout_crash``; nothing
in the product imports this."""

import os

from celery.signals import worker_process_init

from config.celery_app import app

__all__ = ["app"]


@worker_process_init.connect
def _die_once_after_the_providers_answer(**kwargs) -> None:
    from payouts import services

    real = services.payout_record_sent
    marker = os.environ["PAYOUT_CRASH_MARKER"]

    def dying(**arguments):
        if not os.path.exists(marker):
            with open(marker, "w"):
                pass
            os._exit(137)
        return real(**arguments)

    services.payout_record_sent = dying
