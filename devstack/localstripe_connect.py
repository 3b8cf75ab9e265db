"""Stripe Connect for devstack's localstripe: express accounts, onboarding, transfers, balance.

localstripe (the PyPI package) knows no Connect objects. ``install(app)`` adds, in the same
process and the same store (so ``DELETE /_config/data`` empties them too), what the payouts
feature calls through the real ``stripe`` SDK, in Stripe's shapes, errors and events:

* ``/v1/accounts`` (``type=express`` only), ``/v1/account_links`` (``account_onboarding``),
  ``/v1/accounts/{id}/login_links``; the links open HTML pages served here
  (``/connect/...``, no API key): the onboarding page has "Complete onboarding" and
  "Abandon", as Stripe's test onboarding does;
* ``/v1/transfers`` (with ``Idempotency-Key``), ``/v1/transfers/{id}/reversals``;
* ``GET /v1/balance`` computed from the balance transactions (localstripe's is a constant);
* a processing fee on every charge's balance transaction (``fee``, ``net``, ``fee_details``);
* ``transfer_group`` on PaymentIntents and charges (localstripe refuses the parameter);
* events ``account.updated``, ``transfer.created``, ``transfer.reversed``, sent to the
  webhook endpoints registered at ``/_config/webhooks/{id}`` like localstripe's own;
* ``POST /_config/accounts/{id}/restrict`` (tests only): the account loses transfers and
  payouts with a ``requirements.disabled_reason``, as when Stripe restricts it.

docs/connect-emulator.md says what is emulated and what is not.
"""

from __future__ import annotations

import html
import json
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.resources import (
    BalanceTransaction,
    Charge,
    DeletedObject,
    Event,
    List,
    PaymentIntent,
    StripeObject,
    store,
)
from localstripe.webhooks import schedule_webhook

PAGES = "/connect/"
LINK_LIFETIME = 300  # seconds, as Stripe's account links
DOCS = "https://stripe.com/docs/error-codes/"

# What a new express account is asked for (a plausible subset of Stripe's list).
ONBOARDING_REQUIREMENTS = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "individual.dob.day",
    "individual.dob.month",
    "individual.dob.year",
    "individual.email",
    "individual.first_name",
    "individual.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
CURRENCIES = {"US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "CH": "chf", "JP": "jpy", "NZ": "nzd"}
EURO_COUNTRIES = {"AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT"}
EURO_COUNTRIES |= {"NL", "PT", "SI", "SK"}
CAPABILITIES = {"card_payments", "transfers"}


class Config:
    """Set by ``install``. A charge's processing fee: ``fee_percent`` of its amount (rounded half
    up) plus ``fee_fixed`` minor units, never more than the amount (Stripe's US card pricing by
    default). ``public_url``: where a browser reaches the pages (empty: where the API was called)."""

    fee_percent = Decimal("2.9")
    fee_fixed = 30
    public_url = ""


def fee(amount: int) -> int:
    percent = (Decimal(amount) * Config.fee_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(int(percent) + Config.fee_fixed, max(amount, 0))


# -- errors ---------------------------------------------------------------------------------


def stripe_error(
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    status: int = 400,
    kind: str = "invalid_request_error",
    replayable: bool = False,
) -> UserError:
    """A Stripe-shaped error body. ``replayable``: raised while executing (not while checking
    the parameters), so an idempotent retry gets it again, as Stripe stores such results."""
    contents: dict[str, Any] = {"message": message}
    if code:
        contents["code"] = code
        contents["doc_url"] = DOCS + code.replace("_", "-")
    if param:
        contents["param"] = param
    error = UserError(status, message, contents)
    error.body["error"]["type"] = kind
    error.replayable = replayable
    return error


def missing(kind: str, id: Any, param: str, status: int = 404) -> UserError:
    return stripe_error(f"No such {kind}: '{id}'", code="resource_missing", param=param, status=status)


def required(param: str) -> UserError:
    return stripe_error(f"Missing required param: {param}.", code="parameter_missing", param=param)


def unknown_params(data: dict) -> None:
    if data:
        name = sorted(data)[0]
        raise stripe_error(f"Received unknown parameter: {name}", code="parameter_unknown", param=name)


def as_int(value: Any, param: str, *, minimum: int = 1) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise stripe_error(f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)
    if number < minimum:
        raise stripe_error(
            f"This value must be greater than or equal to {minimum}.", code="parameter_invalid_integer", param=param
        )
    return number


def as_metadata(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise stripe_error("Invalid object", code="parameter_invalid_object", param="metadata")
    return {str(k): str(v) for k, v in value.items() if v not in ("", None)}


def merge_metadata(current: dict[str, str], update: Any) -> dict[str, str]:
    """Stripe's update: given keys set, a key given as "" removed, the others kept."""
    if not isinstance(update, dict):
        raise stripe_error("Invalid object", code="parameter_invalid_object", param="metadata")
    merged = dict(current)
    for key, value in update.items():
        if value in ("", None):
            merged.pop(str(key), None)
        else:
            merged[str(key)] = str(value)
    return merged


def emit(type: str, obj: StripeObject, *, previous: dict | None = None, account: str | None = None) -> None:
    event = Event(type, obj)
    if previous is not None:
        event.data["previous_attributes"] = previous
    if account is not None:
        event.account = account  # a Connect event: about a connected account
    schedule_webhook(event)


def newest_first(cls: type[StripeObject], url: str, limit: Any, starting_after: Any, keep) -> List:
    li = List(url, limit=limit, starting_after=starting_after)
    li._list = sorted(
        (value for key, value in store.items() if key.startswith(cls.object + ":") and keep(value)),
        key=lambda obj: (obj.created, obj._seq),
        reverse=True,
    )
    return li


_sequence = iter(range(1, 1 << 62))


# -- accounts -------------------------------------------------------------------------------


def _requirements(due: list[str], disabled_reason: str | None) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(self, **data: Any) -> None:
        kind = data.pop("type", None)
        if kind is None:
            raise required("type")
        if kind != "express":
            raise stripe_error(
                f"The emulator creates express accounts only, not {kind!r}.", code="parameter_invalid", param="type"
            )
        country = str(data.pop("country", None) or "US").upper()
        requested = self._requested_capabilities(data.pop("capabilities", None))
        email = data.pop("email", None)
        business_type = data.pop("business_type", None)
        profile = data.pop("business_profile", None) or {}
        metadata = as_metadata(data.pop("metadata", None))
        currency = data.pop("default_currency", None) or CURRENCIES.get(
            country, "eur" if country in EURO_COUNTRIES else "usd"
        )
        unknown_params(data)
        if not isinstance(profile, dict):
            raise stripe_error("Invalid object", code="parameter_invalid_object", param="business_profile")

        super().__init__()  # all checks before this: it stores the object
        self._seq = next(_sequence)
        self.type = kind
        self.country = country
        self.email = email
        self.default_currency = str(currency).lower()
        self.business_type = business_type
        self.business_profile = {
            "mcc": profile.get("mcc"),
            "name": profile.get("name"),
            "product_description": profile.get("product_description"),
            "support_email": profile.get("support_email"),
            "support_phone": profile.get("support_phone"),
            "support_url": profile.get("support_url"),
            "url": profile.get("url"),
        }
        self.capabilities = dict.fromkeys(requested, "inactive")
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.requirements = _requirements(ONBOARDING_REQUIREMENTS, "requirements.past_due")
        self.future_requirements = _requirements([], None)
        self.metadata = metadata
        self.controller = {
            "fees": {"payer": "application"},
            "is_controller": True,
            "losses": {"payments": "application"},
            "requirement_collection": "stripe",
            "stripe_dashboard": {"type": "express"},
            "type": "application",
        }
        self.settings = {
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            }
        }
        self.tos_acceptance = {"date": None, "ip": None, "user_agent": None}

    @staticmethod
    def _requested_capabilities(capabilities: Any) -> list[str]:
        if capabilities in (None, ""):
            capabilities = {}
        if not isinstance(capabilities, dict):
            raise stripe_error("Invalid object", code="parameter_invalid_object", param="capabilities")
        requested = []
        for name, value in capabilities.items():
            if name not in CAPABILITIES:
                raise stripe_error(
                    f"The emulator knows the capabilities {sorted(CAPABILITIES)}, not {name!r}.",
                    code="parameter_invalid",
                    param=f"capabilities[{name}]",
                )
            if isinstance(value, dict) and str(value.get("requested")).lower() == "true":
                requested.append(name)
        if not requested:
            raise stripe_error(
                "Express accounts must request at least one capability, e.g. capabilities[transfers][requested]=true.",
                code="parameter_missing",
                param="capabilities",
            )
        return requested

    @property
    def external_accounts(self) -> dict[str, Any]:
        url = f"/v1/accounts/{self.id}/external_accounts"
        return {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": url}

    def _snapshot(self) -> dict[str, Any]:
        keys = ("capabilities", "charges_enabled", "details_submitted", "payouts_enabled", "requirements")
        return {key: json.loads(json.dumps(getattr(self, key))) for key in keys}

    def _changed(self, before: dict[str, Any]) -> None:
        previous = {key: value for key, value in before.items() if getattr(self, key) != value}
        if previous:
            emit("account.updated", self, previous=previous, account=self.id)

    def _complete_onboarding(self) -> None:
        before = self._snapshot()
        self.details_submitted = True
        self.charges_enabled = "card_payments" in self.capabilities
        self.payouts_enabled = True
        self.capabilities = dict.fromkeys(self.capabilities, "active")
        self.requirements = _requirements([], None)
        if self.tos_acceptance["date"] is None:
            self.tos_acceptance = {"date": int(time.time()), "ip": "127.0.0.1", "user_agent": "localstripe"}
        self._changed(before)

    def _restrict(self, disabled_reason: str, past_due: list[str]) -> None:
        before = self._snapshot()
        self.charges_enabled = False
        self.payouts_enabled = False
        self.capabilities = dict.fromkeys(self.capabilities, "inactive")
        self.requirements = _requirements(past_due, disabled_reason)
        self._changed(before)

    @classmethod
    def _get(cls, id: Any, param: str) -> Account:
        """The account a parameter names (``destination``, ``account``): 400 ``No such ...``."""
        obj = store.get(f"account:{id}")
        if obj is None:
            raise missing(param, id, param, status=400)
        return obj

    @classmethod
    def _at(cls, id: Any) -> Account:
        """The account a path names (``/v1/accounts/{id}...``) or ``Stripe-Account``: Stripe
        answers an unknown one as one the key has no access to (403 ``account_invalid``)."""
        obj = store.get(f"account:{id}")
        if obj is None:
            raise stripe_error(
                f"The provided key does not have access to account '{id}' (or that account does not exist). "
                "Application access may have been revoked.",
                code="account_invalid",
                status=403,
            )
        return obj

    @classmethod
    def _update_from(cls, id: str, data: dict[str, Any]) -> Account:
        account = cls._at(id)
        changes: dict[str, Any] = {}
        if "metadata" in data:
            changes["metadata"] = merge_metadata(account.metadata, data.pop("metadata"))
        if "email" in data:
            changes["email"] = data.pop("email") or None
        if "business_profile" in data:
            profile = data.pop("business_profile")
            if not isinstance(profile, dict) or not set(profile) <= set(account.business_profile):
                raise stripe_error("Invalid business_profile", code="parameter_invalid", param="business_profile")
            changes["business_profile"] = {**account.business_profile, **profile}
        unknown_params(data)
        previous = {key: getattr(account, key) for key, value in changes.items() if getattr(account, key) != value}
        for key, value in changes.items():
            setattr(account, key, value)
        if previous:
            emit("account.updated", account, previous=previous, account=account.id)
        return account


# -- transfers ------------------------------------------------------------------------------


def balance_transaction(*, amount: int, currency: str, source: str, type: str, category: str, description: str):
    """A balance transaction of a kind localstripe's constructor refuses (transfers, reversals)."""
    txn = BalanceTransaction.__new__(BalanceTransaction)
    StripeObject.__init__(txn)
    txn.amount = amount
    txn.available_on = txn.created
    txn.currency = currency
    txn.description = description
    txn.exchange_rate = None
    txn.fee = 0
    txn.fee_details = []
    txn.reporting_category = category
    txn.source = source
    txn.status = "available"
    txn.type = type
    return txn


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(self, **data: Any) -> None:
        for param in ("amount", "currency", "destination"):
            if data.get(param) in (None, ""):
                raise required(param)
        amount = as_int(data.pop("amount"), "amount")
        currency = str(data.pop("currency")).lower()
        destination = Account._get(data.pop("destination"), "destination")
        group = data.pop("transfer_group", None) or None
        description = data.pop("description", None) or None
        metadata = as_metadata(data.pop("metadata", None))
        source = data.pop("source_transaction", None) or None
        data.pop("source_type", None)
        unknown_params(data)
        charge = self._source_charge(source, amount, currency)
        if destination.capabilities.get("transfers") != "active":
            raise stripe_error(
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="destination",
                replayable=True,
            )
        if charge is None and available(currency) < amount:
            raise stripe_error(
                "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
                "available balance by creating Charges using the 4000000000000077 test card. "
                "See: https://stripe.com/docs/testing#available-balance",
                code="balance_insufficient",
                replayable=True,
            )

        super().__init__()  # all checks before this: it stores the object
        self._seq = next(_sequence)
        self.amount = amount
        self.amount_reversed = 0
        self.currency = currency
        self.description = description
        self.destination = destination.id
        self.destination_payment = "py_" + resources.random_id(24)
        self.metadata = metadata
        self.reversed = False
        self.source_transaction = source
        self.source_type = "card"
        self.transfer_group = group
        self.balance_transaction = balance_transaction(
            amount=-amount, currency=currency, source=self.id, type="transfer", category="transfer", description=None
        ).id

    def _source_charge(self, source: str | None, amount: int, currency: str) -> Charge | None:
        """``source_transaction``: the transfer draws on that charge's funds (not on the available
        balance), at most the charge's amount less what earlier transfers took from it."""
        if source is None:
            return None
        charge = store.get(f"charge:{source}")
        if charge is None:
            raise missing("charge", source, "source_transaction", status=400)
        if charge.currency != currency:
            raise stripe_error(
                f"The currency of source_transaction's balance transaction ({charge.currency}) must be the same as "
                f"the transfer currency ({currency})",
                param="currency",
            )
        taken = sum(t.amount for t in transfers(lambda t: t.source_transaction == source))
        if amount > charge.amount - taken:
            raise stripe_error(
                f"Insufficient funds in source_transaction {source}: {charge.amount - taken} {currency} are left to "
                f"transfer, {amount} were requested.",
                param="amount",
                replayable=True,
            )
        return charge

    @property
    def reversals(self) -> dict[str, Any]:
        return reversals_of(self.id, limit=10, starting_after=None)._export()

    @classmethod
    def _list(cls, data: dict[str, Any]) -> List:
        group = data.pop("transfer_group", None)
        destination = data.pop("destination", None)
        limit, after = data.pop("limit", None), data.pop("starting_after", None)
        unknown_params(data)
        return newest_first(
            cls,
            "/v1/transfers",
            limit,
            after,
            lambda t: (
                (group is None or t.transfer_group == group) and (destination is None or t.destination == destination)
            ),
        )


def transfers(keep) -> list[Transfer]:
    return [value for key, value in store.items() if key.startswith("transfer:") and keep(value)]


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer: Transfer, **data: Any) -> None:
        left = transfer.amount - transfer.amount_reversed
        amount = data.pop("amount", None)
        amount = left if amount in (None, "") else as_int(amount, "amount")
        metadata = as_metadata(data.pop("metadata", None))
        description = data.pop("description", None)
        data.pop("refund_application_fee", None)
        unknown_params(data)
        if left == 0:
            raise stripe_error(
                f"Transfer {transfer.id} has already been fully reversed.", param="amount", replayable=True
            )
        if amount > left:
            raise stripe_error(
                f"You cannot reverse more than the remaining amount of transfer {transfer.id}: "
                f"{left} {transfer.currency} remain, {amount} were requested.",
                param="amount",
                replayable=True,
            )

        super().__init__()  # all checks before this: it stores the object
        self._seq = next(_sequence)
        self.amount = amount
        self.currency = transfer.currency
        self.transfer = transfer.id
        self.metadata = metadata
        self.description = description
        self.destination_payment_refund = "pyr_" + resources.random_id(24)
        self.source_refund = None
        self.balance_transaction = balance_transaction(
            amount=amount,
            currency=transfer.currency,
            source=self.id,
            type="transfer_refund",
            category="transfer_reversal",
            description=None,
        ).id
        transfer.amount_reversed += amount
        transfer.reversed = transfer.amount_reversed == transfer.amount


def reversals_of(transfer_id: str, *, limit: Any, starting_after: Any) -> List:
    return newest_first(
        TransferReversal,
        f"/v1/transfers/{transfer_id}/reversals",
        limit,
        starting_after,
        lambda r: r.transfer == transfer_id,
    )


# -- balance --------------------------------------------------------------------------------


def _txns() -> list[BalanceTransaction]:
    return [value for key, value in store.items() if key.startswith("balance_transaction:")]


def available(currency: str) -> int:
    return sum(txn.net for txn in _txns() if txn.currency == currency)


def _amounts(totals: dict[str, int], default_currency: str) -> list[dict[str, Any]]:
    totals = totals or {default_currency: 0}
    return [
        {"amount": amount, "currency": currency, "source_types": {"card": amount}}
        for currency, amount in sorted(totals.items())
    ]


def balance(account_id: str | None) -> dict[str, Any]:
    """The platform's balance (every charge's net, less refunds and transfers, plus reversals:
    all available at once), or with ``Stripe-Account`` a connected account's (what was
    transferred to it less what was reversed; nothing is paid out)."""
    totals: dict[str, int] = {}
    if account_id is None:
        default = "usd"
        for txn in _txns():
            totals[txn.currency] = totals.get(txn.currency, 0) + txn.net
    else:
        default = Account._at(account_id).default_currency
        for transfer in transfers(lambda t: t.destination == account_id):
            totals[transfer.currency] = (
                totals.get(transfer.currency, 0) + transfer.amount - transfer.amount_reversed
            )  # fmt: skip
    zero = [{**entry, "amount": 0, "source_types": {"card": 0}} for entry in _amounts(totals, default)]
    return {
        "object": "balance",
        "available": _amounts(totals, default),
        "connect_reserved": zero,
        "livemode": False,
        "pending": zero,
    }


def charge_fee(original_init):
    """Wraps localstripe's BalanceTransaction constructor: a charge's transaction gets the fee."""

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if self.type == "charge":
            self.fee = fee(self.amount)
            self.fee_details = (
                [
                    {
                        "amount": self.fee,
                        "application": None,
                        "currency": self.currency,
                        "description": "Stripe processing fees",
                        "type": "stripe_fee",
                    }
                ]
                if self.fee
                else []
            )

    __init__._connect_fee = True
    return __init__


def accepting_transfer_group(original_init):
    """Wraps a localstripe constructor (PaymentIntent, Charge): ``transfer_group`` is accepted
    (localstripe answers "Unexpected transfer_group") and kept."""

    def __init__(self, *args, transfer_group=None, **kwargs):
        if transfer_group is not None and not isinstance(transfer_group, str):
            raise stripe_error("Invalid string", code="parameter_invalid_string", param="transfer_group")
        original_init(self, *args, **kwargs)
        self._transfer_group = transfer_group or None

    __init__._connect_transfer_group = True
    return __init__


def _charge_transfer_group(charge: Charge) -> str | None:
    """A charge's own transfer_group, else its PaymentIntent's (as Stripe copies it over)."""
    own = getattr(charge, "_transfer_group", None)
    if own is None and charge.payment_intent:
        intent = store.get(f"payment_intent:{charge.payment_intent}")
        own = getattr(intent, "_transfer_group", None)
    return own


def _set_transfer_group(obj: StripeObject, value: Any) -> None:
    obj._transfer_group = value or None


def install_transfer_group() -> None:
    for cls in (PaymentIntent, Charge):
        if not getattr(cls.__init__, "_connect_transfer_group", False):
            cls.__init__ = accepting_transfer_group(cls.__init__)
    PaymentIntent.transfer_group = property(
        lambda intent: getattr(intent, "_transfer_group", None), _set_transfer_group
    )
    Charge.transfer_group = property(_charge_transfer_group, _set_transfer_group)


# -- idempotency ----------------------------------------------------------------------------


def idempotent(request: web.Request, data: dict[str, Any], run) -> web.Response:
    """Stripe's Idempotency-Key: the first answer to a key (per secret key) is stored with the
    request's parameters; the same request again gets that answer (``Idempotent-Replayed:
    true``), other parameters an ``idempotency_error``. Answers of requests whose parameters
    were refused are not stored (Stripe does not either), so a corrected retry runs."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        return server.json_response(run())
    slot = f"idempotency:{server.get_api_key(request)}:{key}"
    fingerprint = json.dumps([request.method, request.path, data], sort_keys=True, default=str)
    record = store.get(slot)
    if record is not None:
        if record["fingerprint"] != fingerprint:
            raise stripe_error(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. "
                f"Try using a key other than '{key}' if you meant to execute a different request.",
                kind="idempotency_error",
            )
        response = server.json_response(record["body"], status=record["status"])
        response.headers["Idempotency-Key"] = key
        response.headers["Idempotent-Replayed"] = "true"
        return response
    try:
        body, status = run(), 200
    except UserError as error:
        if not getattr(error, "replayable", False):
            raise
        body, status = error.body, error.code
    store[slot] = {"fingerprint": fingerprint, "body": body, "status": status}
    response = server.json_response(body, status=status)
    response.headers["Idempotency-Key"] = key
    return response


# -- HTTP -----------------------------------------------------------------------------------


async def _params(request: web.Request) -> dict[str, Any]:
    if request.method == "POST":
        return dict(await server.get_post_data(request) or {})
    return dict(server.unflatten_data(request.query) or {})


def _expand(data: dict[str, Any]) -> Any:
    return data.pop("expand", None)


async def create_account(request: web.Request) -> web.Response:
    data = await _params(request)
    params = json.loads(json.dumps(data))
    expand = _expand(data)
    return idempotent(request, params, lambda: Account(**data)._export(expand=expand))


async def retrieve_account(request: web.Request) -> web.Response:
    data = await _params(request)
    return server.json_response(Account._at(request.match_info["id"])._export(expand=_expand(data)))


async def update_account(request: web.Request) -> web.Response:
    data = await _params(request)
    params = json.loads(json.dumps(data))
    expand = _expand(data)
    return idempotent(
        request, params, lambda: Account._update_from(request.match_info["id"], data)._export(expand=expand)
    )


async def delete_account(request: web.Request) -> web.Response:
    account = Account._at(request.match_info["id"])
    del store[f"account:{account.id}"]
    return server.json_response(DeletedObject(account.id, "account")._export())


async def list_accounts(request: web.Request) -> web.Response:
    data = await _params(request)
    expand = _expand(data)
    limit, after = data.pop("limit", None), data.pop("starting_after", None)
    unknown_params(data)
    li = newest_first(Account, "/v1/accounts", limit, after, lambda a: True)
    return server.json_response(li._export(expand=expand))


def _base(request: web.Request) -> str:
    """Where a browser reaches the pages: --public-url, else the address the API was called at."""
    return Config.public_url or f"{request.scheme}://{request.host}"


def _url_param(data: dict[str, Any], param: str) -> str:
    value = data.pop(param, None)
    if not value:
        raise required(param)
    if not str(value).startswith(("http://", "https://")):
        raise stripe_error("Not a valid URL", code="url_invalid", param=param)
    return str(value)


def _account_link(request: web.Request, data: dict[str, Any]) -> dict[str, Any]:
    if not data.get("account"):
        raise required("account")
    account = Account._get(data.pop("account"), "account")
    kind = data.pop("type", None)
    if not kind:
        raise required("type")
    if kind != "account_onboarding":
        raise stripe_error(
            f"The emulator makes account_onboarding links only (and Stripe no {kind} links for express accounts).",
            code="parameter_invalid",
            param="type",
        )
    refresh_url, return_url = _url_param(data, "refresh_url"), _url_param(data, "return_url")
    data.pop("collect", None)
    data.pop("collection_options", None)
    unknown_params(data)
    token = resources.random_id(24)
    now = int(time.time())
    store[f"account_link:{token}"] = {
        "account": account.id,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "expires_at": now + LINK_LIFETIME,
        "used": False,
    }
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + LINK_LIFETIME,
        "url": f"{_base(request)}{PAGES}setup/e/{account.id}/{token}",
    }


async def create_account_link(request: web.Request) -> web.Response:
    data = await _params(request)
    params = json.loads(json.dumps(data))
    data.pop("expand", None)
    return idempotent(request, params, lambda: _account_link(request, data))


async def create_login_link(request: web.Request) -> web.Response:
    data = await _params(request)
    params = json.loads(json.dumps(data))
    data.pop("expand", None)
    account = Account._at(request.match_info["id"])
    unknown_params(data)

    def run() -> dict[str, Any]:
        if not account.details_submitted:
            raise stripe_error(
                "Cannot create a login link for an account that has not completed onboarding.",
                param="account",
            )
        token = resources.random_id(24)
        store[f"login_link:{token}"] = {"account": account.id}
        return {
            "object": "login_link",
            "created": int(time.time()),
            "url": f"{_base(request)}{PAGES}express/{account.id}/{token}",
        }

    return idempotent(request, params, run)


async def create_transfer(request: web.Request) -> web.Response:
    data = await _params(request)
    params = json.loads(json.dumps(data))
    expand = _expand(data)

    def run() -> dict[str, Any]:
        transfer = Transfer(**data)
        emit("transfer.created", transfer)
        return transfer._export(expand=expand)

    return idempotent(request, params, run)


def _transfer(id: Any) -> Transfer:
    transfer = store.get(f"transfer:{id}")
    if transfer is None:
        raise missing("transfer", id, "id")
    return transfer


async def retrieve_transfer(request: web.Request) -> web.Response:
    data = await _params(request)
    return server.json_response(_transfer(request.match_info["id"])._export(expand=_expand(data)))


async def update_transfer(request: web.Request) -> web.Response:
    data = await _params(request)
    params = json.loads(json.dumps(data))
    expand = _expand(data)

    def run() -> dict[str, Any]:
        transfer = _transfer(request.match_info["id"])
        if "metadata" in data:
            metadata = merge_metadata(transfer.metadata, data.pop("metadata"))
        else:
            metadata = transfer.metadata
        description = data.pop("description", transfer.description)
        unknown_params(data)
        transfer.metadata, transfer.description = metadata, description
        return transfer._export(expand=expand)

    return idempotent(request, params, run)


async def list_transfers(request: web.Request) -> web.Response:
    data = await _params(request)
    expand = _expand(data)
    return server.json_response(Transfer._list(data)._export(expand=expand))


async def create_reversal(request: web.Request) -> web.Response:
    data = await _params(request)
    params = json.loads(json.dumps(data))
    expand = _expand(data)

    def run() -> dict[str, Any]:
        transfer = _transfer(request.match_info["id"])
        reversal = TransferReversal(transfer, **data)
        emit("transfer.reversed", transfer)
        return reversal._export(expand=expand)

    return idempotent(request, params, run)


async def list_reversals(request: web.Request) -> web.Response:
    data = await _params(request)
    expand = _expand(data)
    transfer = _transfer(request.match_info["id"])
    limit, after = data.pop("limit", None), data.pop("starting_after", None)
    unknown_params(data)
    return server.json_response(reversals_of(transfer.id, limit=limit, starting_after=after)._export(expand=expand))


async def retrieve_reversal(request: web.Request) -> web.Response:
    data = await _params(request)
    transfer = _transfer(request.match_info["id"])
    reversal = store.get(f"transfer_reversal:{request.match_info['reversal']}")
    if reversal is None or reversal.transfer != transfer.id:
        raise missing("transfer_reversal", request.match_info["reversal"], "id")
    return server.json_response(reversal._export(expand=_expand(data)))


async def restrict_account(request: web.Request) -> web.Response:
    """Tests only (no API key, like localstripe's /_config): Stripe restricts the account."""
    data = await _params(request)
    account = Account._at(request.match_info["id"])
    reason = data.get("disabled_reason") or "requirements.past_due"
    past_due = data.get("past_due") or ["individual.verification.document"]
    if isinstance(past_due, str):
        past_due = [past_due]
    account._restrict(str(reason), [str(item) for item in past_due])
    return server.json_response(account._export())


# -- pages ----------------------------------------------------------------------------------


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body style="font-family: sans-serif; max-width: 36rem; margin: 3rem auto">'
        "<p><small>localstripe Connect emulator (test mode)</small></p>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(text=text, status=status, content_type="text/html")


def _link(request: web.Request) -> tuple[dict[str, Any] | None, Account | None]:
    link = store.get(f"account_link:{request.match_info['token']}")
    if link is None or link["account"] != request.match_info["account"]:
        return None, None
    return link, store.get(f"account:{link['account']}")


async def onboarding_page(request: web.Request) -> web.StreamResponse:
    link, account = _link(request)
    if link is None or account is None:
        return _page("Link not found", "<p>This onboarding link does not exist.</p>", status=404)
    if link["used"] or link["expires_at"] < time.time():
        # Stripe sends the visitor of a used or expired link to refresh_url.
        raise web.HTTPFound(link["refresh_url"])
    who = html.escape(account.email or account.id)
    return _page(
        "Set up payouts",
        f"<p>Express account <code>{html.escape(account.id)}</code> ({who}), {html.escape(account.country)}.</p>"
        '<form method="post">'
        '<button type="submit" name="action" value="complete">Complete onboarding</button> '
        '<button type="submit" name="action" value="abandon">Abandon</button>'
        "</form>",
    )


async def onboarding_submit(request: web.Request) -> web.StreamResponse:
    link, account = _link(request)
    if link is None or account is None:
        return _page("Link not found", "<p>This onboarding link does not exist.</p>", status=404)
    if link["used"] or link["expires_at"] < time.time():
        raise web.HTTPSeeOther(link["refresh_url"])
    action = (await request.post()).get("action")
    if action not in ("complete", "abandon"):
        return _page("Bad request", "<p>Choose Complete onboarding or Abandon.</p>", status=400)
    link["used"] = True
    if action == "abandon":
        raise web.HTTPSeeOther(link["refresh_url"])
    account._complete_onboarding()
    raise web.HTTPSeeOther(link["return_url"])


async def dashboard_page(request: web.Request) -> web.Response:
    login = store.get(f"login_link:{request.match_info['token']}")
    account = store.get(f"account:{request.match_info['account']}")
    if login is None or account is None or login["account"] != account.id:
        return _page("Link not found", "<p>This login link does not exist.</p>", status=404)
    rows = "".join(
        f"<tr><td><code>{html.escape(t.id)}</code></td><td>{t.amount - t.amount_reversed}</td>"
        f"<td>{html.escape(t.currency)}</td><td>{html.escape(t.transfer_group or '')}</td></tr>"
        for t in sorted(transfers(lambda t: t.destination == account.id), key=lambda t: t._seq, reverse=True)
    )
    return _page(
        "Express dashboard",
        f"<p>Account <code>{html.escape(account.id)}</code> ({html.escape(account.email or '')}); "
        f"payouts {'enabled' if account.payouts_enabled else 'disabled'}.</p>"
        "<table><tr><th>Transfer</th><th>Amount (minor units, less reversals)</th><th>Currency</th>"
        f"<th>Group</th></tr>{rows}</table>",
    )


@web.middleware
async def pages_without_key(request: web.Request, handler):
    """localstripe's authentication, except for the pages a browser opens from a link."""
    if request.path.startswith(PAGES):
        return await handler(request)
    return await server.auth_middleware(request, handler)


@web.middleware
async def computed_balance(request: web.Request, handler):
    """``GET /v1/balance`` from the balance transactions (localstripe's route answers a constant)."""
    if request.method == "GET" and request.path == "/v1/balance":
        return server.json_response(balance(request.headers.get("Stripe-Account")))
    return await handler(request)


ROUTES = [
    ("POST", "/v1/accounts", create_account),
    ("GET", "/v1/accounts", list_accounts),
    ("GET", "/v1/accounts/{id}", retrieve_account),
    ("POST", "/v1/accounts/{id}", update_account),
    ("DELETE", "/v1/accounts/{id}", delete_account),
    ("POST", "/v1/accounts/{id}/login_links", create_login_link),
    ("POST", "/v1/account_links", create_account_link),
    ("POST", "/v1/transfers", create_transfer),
    ("GET", "/v1/transfers", list_transfers),
    ("GET", "/v1/transfers/{id}", retrieve_transfer),
    ("POST", "/v1/transfers/{id}", update_transfer),
    ("POST", "/v1/transfers/{id}/reversals", create_reversal),
    ("GET", "/v1/transfers/{id}/reversals", list_reversals),
    ("GET", "/v1/transfers/{id}/reversals/{reversal}", retrieve_reversal),
    ("POST", "/_config/accounts/{id}/restrict", restrict_account),
    ("GET", PAGES + "setup/e/{account}/{token}", onboarding_page),
    ("POST", PAGES + "setup/e/{account}/{token}", onboarding_submit),
    ("GET", PAGES + "express/{account}/{token}", dashboard_page),
]


def install(
    app: web.Application,
    *,
    fee_percent: Decimal = Config.fee_percent,
    fee_fixed: int = Config.fee_fixed,
    public_url: str = "",
) -> None:
    """Adds the Connect routes to localstripe's app (before it starts) and the fee to charges.
    ``public_url``: the emulator's address as a browser reaches it, for the links' pages (in
    docker-compose the API is called at http://localstripe:8420, the browser opens localhost)."""
    Config.fee_percent, Config.fee_fixed = Decimal(fee_percent), int(fee_fixed)
    Config.public_url = public_url.rstrip("/")
    if not getattr(BalanceTransaction.__init__, "_connect_fee", False):
        BalanceTransaction.__init__ = charge_fee(BalanceTransaction.__init__)
    install_transfer_group()
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.middlewares[app.middlewares.index(server.auth_middleware)] = pages_without_key
    app.middlewares.append(computed_balance)
