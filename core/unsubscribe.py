"""Signed unsubscribe links: they work without logging in and cannot be forged or retargeted.

A link works for UNSUBSCRIBE_LINK_MAX_AGE (a year by default) after the e-mail that carries it
was made: long enough for anyone reading their mail, short enough that a link leaked in an old
message does not speak for its reader forever. An expired link leads to the e-mail settings.
"""

from django.conf import settings
from django.core import signing

from core.links import absolute_url

SALT = "pledgeboard.unsubscribe"


def unsubscribe_token(*, user_id: int, campaign_id: int | None) -> str:
    """campaign_id set: that campaign's updates; None: all platform notifications."""
    return signing.dumps({"u": user_id, "c": campaign_id}, salt=SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, int | None]:
    """(user id, campaign id or None); raises signing.SignatureExpired for a link older than
    UNSUBSCRIBE_LINK_MAX_AGE, signing.BadSignature (its parent) for anything forged or mangled."""
    data = signing.loads(token, salt=SALT, max_age=settings.UNSUBSCRIBE_LINK_MAX_AGE)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise signing.BadSignature("malformed unsubscribe token")
    campaign_id = data.get("c")
    if campaign_id is not None and not isinstance(campaign_id, int):
        raise signing.BadSignature("malformed unsubscribe token")
    return data["u"], campaign_id


def unsubscribe_url(*, user_id: int, campaign_id: int | None) -> str:
    token = unsubscribe_token(user_id=user_id, campaign_id=campaign_id)
    return absolute_url("unsubscribe", token)
