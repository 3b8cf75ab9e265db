"""Closing's services (every write of the app, each in its transaction), by what they do:

- ``campaigns``: close a campaign at its deadline (or now), cancel it, hand its pledges to
  collection;
- ``collection``: charge a pledge at most once, record the provider's answer, retry and drop
  errored pledges, replace an errored pledge's card;
- ``late``: late pledges after a successful close, charged at once through collection;
- ``webhooks``: store and handle the provider's signed events (each once).

Import from the package (``from closing.services import campaign_close``) or from the module.
"""

from .campaigns import (
    campaign_cancel,
    campaign_close,
    campaign_close_now,
    pledges_claim_for_collection,
    pledges_mark_collection_enqueued,
)
from .collection import (
    charge_record_result,
    pledge_collect,
    pledge_payment_method_setup,
    pledge_replace_payment_method,
    pledges_drop_errored,
)
from .late import late_pledge_charge, late_pledge_confirm, late_pledge_create, pledge_place
from .webhooks import webhook_receive

__all__ = [
    "campaign_cancel",
    "campaign_close",
    "campaign_close_now",
    "charge_record_result",
    "late_pledge_charge",
    "late_pledge_confirm",
    "late_pledge_create",
    "pledge_collect",
    "pledge_payment_method_setup",
    "pledge_place",
    "pledge_replace_payment_method",
    "pledges_claim_for_collection",
    "pledges_drop_errored",
    "pledges_mark_collection_enqueued",
    "webhook_receive",
]
