"""Updates' answer to accounts (accounts.signals), connected in UpdatesConfig.ready()."""

from django.dispatch import receiver

from accounts.signals import account_erasing
from updates.models import UpdateDelivery


@receiver(account_erasing, dispatch_uid="updates_erase_deliveries")
def erase_deliveries(sender, *, user, **kwargs) -> None:
    # Which updates were mailed to them; the updates a deleted creator wrote stay with their campaign.
    UpdateDelivery.objects.filter(recipient=user).delete()
