"""How many account e-mails (sign-up links, their resends, password resets, notes to an address's
owner) anyone can have sent: per address and per client, in fixed windows counted atomically in
Redis (core.throttling.count_hit, the primitive of the API throttles).

Each request counts on both axes whether or not an account uses the address, so the answer
(429 or not) tells nothing about accounts. The per-client limit stops one client from mailing
many addresses; the per-address limit stops many clients from flooding one mailbox. The latter
can be used up by someone else, but all it delays is a mail: nobody's login depends on it.

If Redis does not answer, mail is let through (and logged), as the API throttles do.
"""

import hashlib
import logging
import time

import redis
from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import TooManyRequests
from core.throttling import count_hit

log = logging.getLogger(__name__)
PREFIX = "account-mail"


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().casefold().encode()).hexdigest()[:32]


def account_mail_check(*, address: str, client: str, now: float | None = None) -> None:
    """Count one account e-mail to ``address`` asked for by ``client``; TooManyRequests past a limit."""
    window = settings.ACCOUNT_MAIL_WINDOW
    now = time.time() if now is None else now
    slot = int(now // window)
    limits = (
        ("client", client, settings.ACCOUNT_MAILS_PER_CLIENT),
        ("address", address, settings.ACCOUNT_MAILS_PER_ADDRESS),
    )
    for kind, value, limit in limits:
        try:
            hits = count_hit(f"{PREFIX}:{kind}:{_digest(value)}:{slot}", window)
        except redis.RedisError as error:
            log.warning("account mail limit let a mail through: Redis did not answer (%s)", error)
            return
        if hits > limit:
            retry_after = max(1, int((slot + 1) * window - now))
            raise TooManyRequests(
                _("Too many e-mails were asked for: wait %(minutes)d minutes, then try again.")
                % {"minutes": max(1, -(-retry_after // 60))},
                retry_after=retry_after,
                code="too_many_mails",
            )
