"""A SetupIntent created and confirmed in one call, as Stripe allows and localstripe does not.

Stripe's ``POST /v1/setup_intents`` takes ``payment_method`` and ``confirm=true``: the card is
saved in the same request (one call instead of create, then confirm). localstripe 1.15 answers
400 "Unexpected confirm, payment_method"; here it creates the intent and confirms it in the same
request. A card refused at confirmation answers 402 ``card_declined`` with the SetupIntent in
the error's ``setup_intent``, as Stripe does (localstripe leaves it ``canceled``).
"""

from __future__ import annotations

from localstripe.errors import UserError
from localstripe.resources import SetupIntent, try_convert_to_bool

_create = SetupIntent._api_create.__func__


def _api_create(cls, confirm=None, payment_method=None, **data):
    intent = _create(cls, **data)
    if payment_method is None:
        return intent
    if not try_convert_to_bool(confirm):
        raise UserError(400, "payment_method at creation is only taken here with confirm=true")
    try:
        return cls._api_confirm(id=intent.id, payment_method=payment_method)
    except UserError as error:
        if error.code == 402:
            error.body["error"]["setup_intent"] = intent._export()
        raise


def install() -> None:
    SetupIntent._api_create = classmethod(_api_create)
