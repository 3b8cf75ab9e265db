from celery import shared_task

from accounts.services import signups_forget_stale
from accounts.tokens import tokens_forget_expired


@shared_task(acks_late=True)
def forget_expired_tokens() -> int:
    """Beat, hourly: expired API tokens are deleted."""
    return tokens_forget_expired()


@shared_task(acks_late=True)
def forget_stale_signups() -> int:
    """Beat, hourly: sign-ups whose link expired unconfirmed are forgotten."""
    return signups_forget_stale()
