"""Where localstripe 1.15 answers otherwise than Stripe, answers as Stripe does, so that the app
makes the calls against localstripe that it makes against Stripe (and no more).

* A SetupIntent created and confirmed in one call: Stripe's ``POST /v1/setup_intents`` takes
  ``payment_method`` with ``confirm=true`` and saves the card in the same request; localstripe
  answers 400 "Unexpected confirm, payment_method". Here it creates the intent and confirms it.
  A card refused at confirmation answers 402 ``card_declined`` with the SetupIntent in the
  error's ``setup_intent``, as Stripe does (localstripe leaves it ``canceled``).
* A declined charge's PaymentIntent in the 402: Stripe's error for ``POST /v1/payment_intents``
  with ``confirm=true`` carries ``payment_intent``; localstripe's names only the ``charge``, which
  costs the app a look-up. Here the intent is added.
* A charge's ``payment_method_details`` (the card's brand and last four digits, which receipts
  show): Stripe's charge carries it; localstripe's has only the ``payment_method`` id. Here it is
  added when the charge is made.
"""

from __future__ import annotations

from localstripe.errors import UserError
from localstripe.resources import Charge, PaymentIntent, PaymentMethod, SetupIntent, try_convert_to_bool

_create_setup_intent = SetupIntent._api_create.__func__
_create_payment_intent = PaymentIntent._api_create.__func__
_charge_init = Charge.__init__


def _charge_with_details(self, *args, **kwargs):
    _charge_init(self, *args, **kwargs)
    method_id = getattr(self, "payment_method", None)
    card = {}
    if isinstance(method_id, str) and method_id.startswith("pm_"):
        card = getattr(PaymentMethod._api_retrieve(method_id), "card", None) or {}
    self.payment_method_details = (
        {"type": "card", "card": {"brand": card.get("brand"), "last4": card.get("last4")}} if card else None
    )


def _setup_intent_create(cls, confirm=None, payment_method=None, **data):
    intent = _create_setup_intent(cls, **data)
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


def _payment_intent_create(cls, **data):
    try:
        return _create_payment_intent(cls, **data)
    except UserError as error:
        charge_id = error.body["error"].get("charge") if error.code == 402 else None
        if charge_id:
            intent_id = Charge._api_retrieve(charge_id).payment_intent
            if intent_id:
                error.body["error"]["payment_intent"] = PaymentIntent._api_retrieve(intent_id)._export()
        raise


def install() -> None:
    SetupIntent._api_create = classmethod(_setup_intent_create)
    PaymentIntent._api_create = classmethod(_payment_intent_create)
    Charge.__init__ = _charge_with_details
