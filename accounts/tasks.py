from celery import shared_task

from accounts.tokens import tokens_forget_expired


@shared_task(acks_late=True)
def forget_expired_tokens() -> int:
    """Beat, hourly: expired API tokens are deleted."""
    return tokens_forget_expired()
