"""Template filters of the pages: amounts with their currency's decimals, grouped as people read them."""

import json
from decimal import Decimal

from babel.numbers import format_percent
from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import translation

from accounts.selectors import public_name as _public_name
from core.money import quantize
from core.templatetags.money import money_filter
from pledges.services import pledge_minimum as minimum_with_shipping
from pledges.services import reward_price

register = template.Library()


# The one money filter, also offered here so the pages need one library.
register.filter("money", money_filter)


@register.filter
def public_name(user) -> str:
    """A person as others see them: display name, else username; "deleted user" once deleted."""
    return _public_name(user)


@register.filter
def plain_amount(amount: Decimal | None, currency: str) -> str:
    """For inputs and scripts: ``30.000, "USD"`` -> ``30.00`` (no grouping)."""
    return "" if amount is None else str(quantize(amount, currency))


@register.filter
def grouped(number: int | Decimal | None) -> str:
    """A whole number with thousands separators: ``1192`` -> ``1,192``."""
    if number is None:
        return ""
    return floatformat(number, "0g")


@register.filter
def percent(number: int | None) -> str:
    """A whole percentage as the reader's language writes it: ``1192`` -> ``1,192%``, German ``1.192 %``."""
    if number is None:
        return ""
    language = translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)
    return format_percent(Decimal(number) / 100, locale=language)


@register.filter
def pledge_minimum(reward) -> Decimal:
    """The smallest pledge for a tier before shipping and add-ons: its minimum."""
    return minimum_with_shipping(reward)


@register.filter
def late_reward_price(reward) -> Decimal:
    """What a late pledge pays for the tier: its minimum raised by the campaign's late percentage."""
    return reward_price(reward, late=True)


@register.filter
def shipping_table(reward) -> str:
    """A tier's shipping rules for the checkout's script: ``{"c": {"DE": "5.00"}, "r": {"eu": "7.50"}}``
    (the server prices the pledge again; this only fills in the amount)."""
    currency = reward.campaign.currency
    rules = list(reward.shipping_rules.all())
    return json.dumps(
        {
            "c": {str(r.country): str(quantize(r.price, currency)) for r in rules if r.country},
            "r": {r.region: str(quantize(r.price, currency)) for r in rules if r.region},
        }
    )


@register.filter
def late_pledge_minimum(reward) -> Decimal:
    """The smallest late pledge for a tier: its late price plus its shipping."""
    return minimum_with_shipping(reward, late=True)


@register.filter
def late_price(reward) -> Decimal:
    """A tier's late price (its minimum raised by the campaign's late price percentage)."""
    return reward_price(reward, late=True)


@register.filter
def progress_width(percent: int) -> int:
    """How full a progress bar is drawn: the percent funded, stopping at 100 (1,192% fills it)."""
    return min(percent, 100)


@register.filter
def days_left(campaign) -> int | None:
    """Whole days (rounded up) until a live campaign's deadline; None once it is not live."""
    from django.utils import timezone

    if campaign.state != "live" or campaign.deadline is None:
        return None
    seconds = (campaign.deadline - timezone.now()).total_seconds()
    return max(0, -int(-seconds // 86400))
