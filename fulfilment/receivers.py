"""Fulfilment's answer to accounts (accounts.signals), connected in FulfilmentConfig.ready()."""

from django.dispatch import receiver

from accounts.signals import account_erasing
from fulfilment.models import FulfilmentMail, SurveyResponse


@receiver(account_erasing, dispatch_uid="fulfilment_erase_account")
def erase_account(sender, *, user, **kwargs) -> None:
    # A deleted backer's address and answers go, and the e-mails written to them.
    SurveyResponse.objects.filter(pledge__backer=user).delete()
    FulfilmentMail.objects.filter(pledge__backer=user).delete()
