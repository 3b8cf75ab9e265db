"""Login limits: password and code guessing slowed per (account, client), per client and per account.

What trusted systems do (NIST SP 800-63B 5.2.2, OWASP's authentication cheat sheet): slow the
guesser, never lock the owner out. So nothing here refuses an account to everyone:

- per (account, client), ``LOGIN_LIMIT_ACCOUNT_CLIENT`` (``5/minute,10/hour,20/day``): a few
  free failures, then growing waits for that client only: after 5 in a minute it waits for the
  minute to end, after 10 for the hour, after 20 for the day. A person mistyping gets five
  tries at once; a guesser gets 20 a day per address. A successful sign-in clears its counters.
- per client, ``LOGIN_LIMIT_CLIENT`` (``30/minute,100/hour,500/day``): one address trying many
  accounts (password spraying). Larger, because everyone behind one address (an office, a
  carrier's NAT) shares it, and only failures count: a success takes its own hit back.
- per account, ``LOGIN_LIMIT_ACCOUNT`` (``50/hour,200/day``): an account guessed at from many
  addresses. It only slows: past it, a client that has failures of its own on this account
  waits for the window to end, while a client without any (the owner at home) is still heard.

"Client" is the address of ``core.clients.client_address`` (TRUSTED_PROXIES: a forged
X-Forwarded-For buys nothing). The account is the account itself: the user's id when the login
names one (by username or e-mail, either case), so both share one budget; otherwise the login
as typed, normalised (NFKC, case-folded). The key also carries a digest of the user's password
hash, so a password reset or change (whatever path makes it: the reset link, the admin,
``changepassword``) starts the account on fresh counters, with no hook to forget.

Counting is atomic: an attempt first takes a hit on every counter (``core.throttling.count_hits``,
one pipelined INCR + EXPIRE per counter, the primitive the API throttles use), and the password is
checked only if every count is within its limit; 30 guesses at once see numbers 1 to 30 and only
the first five are checked. A refused attempt, a correct password and a correct code take their
hits back, so what stays counted is failures. Windows are fixed (aligned to the clock): cheap and
exact, at the price of a burst at a window's edge, bounded by the longer windows.

If Redis does not answer, attempts are let through (and logged), like the API throttles: Django's
password hashing still costs a guesser ~0.2 s a try, and an outage must not refuse every sign-in.

django-axes was the other candidate. It keeps attempts in the database (or its cache handler's
read-modify-write), counts them after the fact, and by default locks the account for everyone
(``AXES_LOCKOUT_PARAMETERS`` can key by user and address, but a lockout stays a lockout, and the
password reset does not clear it without a signal of ours). Its admin and middleware would be a
second limiter beside the API throttles; the coming unification of every limiter (throttles,
login limits, the provider budget) wants one Redis primitive, so this stays small and on it.
"""

import functools
import hashlib
import logging
import math
import time
import unicodedata
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.utils.translation import ngettext

from accounts.selectors import user_for_login
from core.errors import TooManyRequests
from core.throttling import count_hits, forget_hits, uncount_hits

log = logging.getLogger(__name__)

PREFIX = "login-limit"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


@functools.cache
def parse_rates(text: str) -> tuple[Rate, ...]:
    """``"5/minute,10/hour,20/day"`` (DRF's rate notation, several at once); ValueError if not."""
    rates = []
    for part in text.split(","):
        if not part.strip():
            continue
        count, _, period = part.strip().partition("/")
        seconds = PERIODS.get(period.strip()[:1].lower())
        if not count.strip().isdigit() or seconds is None or int(count) < 1:
            raise ValueError(f"not a rate: {part.strip()!r} (e.g. 5/minute)")
        rates.append(Rate(int(count), seconds))
    return tuple(rates)


def account_key(account: User | str) -> str:
    """What a login names, for counting: the user and their password's version, or the normalised text."""
    user = account if isinstance(account, AbstractBaseUser) else user_for_login(account)
    if user is not None:
        version = hashlib.sha256(user.password.encode()).hexdigest()[:16]
        return f"user:{user.pk}:{version}"
    return "name:" + unicodedata.normalize("NFKC", str(account)).strip().casefold()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


@dataclass
class _Counter:
    key: str
    rate: Rate
    hits: int = 0

    @property
    def over(self) -> bool:
        return self.hits > self.rate.limit

    def window_left(self, now: float) -> int:
        return max(1, math.ceil(self.rate.seconds - now % self.rate.seconds))


def _counters(kind: str, who: str, setting: str, now: float) -> list[_Counter]:
    counters = []
    for rate in parse_rates(getattr(settings, setting)):
        window = int(now // rate.seconds)
        counters.append(_Counter(f"{PREFIX}:{kind}:{who}:{rate.seconds}:{window}", rate))
    return counters


@dataclass
class LoginAttempt:
    """One attempt (a password or a code), counted before it is checked.

    ``retry_after`` is set when it is refused: the seconds until this client may try again.
    Then call nothing else. Otherwise check the secret, and then ``succeeded()`` (signed in:
    clears the account's counters for this client), ``passed()`` (a correct password with a
    code still to come: this hit is not a failure) or nothing (a failure: it stays counted).
    """

    account_client: list[_Counter] = field(default_factory=list)
    client: list[_Counter] = field(default_factory=list)
    account: list[_Counter] = field(default_factory=list)
    retry_after: int | None = None

    @property
    def refused(self) -> bool:
        return self.retry_after is not None

    def error(self) -> TooManyRequests:
        """What a refused attempt is told."""
        return TooManyRequests(
            wait_message(self.retry_after or 1), retry_after=self.retry_after or 1, code="too_many_attempts"
        )

    def _all(self) -> list[_Counter]:
        return self.account_client + self.client + self.account

    def _take_back(self, counters: list[_Counter]) -> None:
        try:
            uncount_hits([(c.key, c.rate.seconds) for c in counters])
        except redis.RedisError as error:
            log.warning("login limits: a hit was not taken back, Redis did not answer (%s)", error)

    def passed(self) -> None:
        self._take_back(self._all())

    def succeeded(self) -> None:
        self._take_back(self.client + self.account)
        try:
            forget_hits([c.key for c in self.account_client])
        except redis.RedisError as error:
            log.warning("login limits: counters not cleared, Redis did not answer (%s)", error)


def login_attempt(*, account: User | str, client: str) -> LoginAttempt:
    """Count an attempt at ``account`` (a user, or a login as typed) from ``client`` (an address)."""
    now = time.time()
    key = account_key(account)
    attempt = LoginAttempt(
        account_client=_counters("account-client", _digest(key, client), "LOGIN_LIMIT_ACCOUNT_CLIENT", now),
        client=_counters("client", _digest(client), "LOGIN_LIMIT_CLIENT", now),
        account=_counters("account", _digest(key), "LOGIN_LIMIT_ACCOUNT", now),
    )
    counters = attempt._all()
    try:
        numbers = count_hits([(c.key, c.rate.seconds) for c in counters])
    except redis.RedisError as error:
        log.warning("login limits let an attempt through: Redis did not answer (%s)", error)
        return LoginAttempt()  # nothing counted, so nothing to take back or clear later
    for counter, hits in zip(counters, numbers, strict=True):
        counter.hits = hits
    limiting = [c for c in attempt.account_client + attempt.client if c.over]
    # The account-wide limit slows only clients with failures of their own on this account:
    # this attempt is their first if every (account, client) count is 1.
    if any(c.hits > 1 for c in attempt.account_client):
        limiting += [c for c in attempt.account if c.over]
    if limiting:
        attempt.retry_after = max(c.window_left(now) for c in limiting)
        attempt._take_back(counters)
    return attempt


def wait_message(seconds: int) -> str:
    minutes = -(-seconds // 60)
    if minutes <= 90:
        return ngettext(
            "Too many failed attempts. Wait %(count)d minute, or reset your password.",
            "Too many failed attempts. Wait %(count)d minutes, or reset your password.",
            minutes,
        ) % {"count": minutes}
    hours = -(-minutes // 60)
    return ngettext(
        "Too many failed attempts. Wait %(count)d hour, or reset your password.",
        "Too many failed attempts. Wait %(count)d hours, or reset your password.",
        hours,
    ) % {"count": hours}
