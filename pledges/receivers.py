"""Pledges' answers to accounts' questions (accounts.signals), connected in PledgesConfig.ready().

Money must be settled before an account goes: a backer's pledges still to be collected (or
canceled), and a creator's successful campaign still collecting, keep it. The pledges, charges
and refunds themselves stay after the deletion (the law keeps them), tied to the anonymised row.
"""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from accounts.signals import account_deletion_blockers, account_erasing
from campaigns.models import Campaign
from pledges.models import IdempotencyKey, Pledge

OPEN_STATES = (Pledge.State.PENDING, Pledge.State.ACTIVE, Pledge.State.ERRORED)


@receiver(account_deletion_blockers, dispatch_uid="pledges_open_pledges_block_deletion")
def open_pledges_block_deletion(sender, *, user, **kwargs) -> list[str]:
    reasons = []
    backed = (
        Pledge.objects.filter(backer=user, state__in=OPEN_STATES)
        .order_by("campaign__title")
        .values_list("campaign__title", flat=True)
    )
    for title in backed:
        reasons.append(
            _("Your pledge to “%(title)s” is still open: cancel it under My pledges, or wait until it is collected.")
            % {"title": title}
        )
    collecting = (
        Campaign.objects.filter(
            creator=user,
            state=Campaign.State.SUCCESSFUL,
            pledges__state__in=(Pledge.State.ACTIVE, Pledge.State.ERRORED),
        )
        .distinct()
        .order_by("title")
        .values_list("title", flat=True)
    )
    for title in collecting:
        reasons.append(
            _("Your campaign “%(title)s” is still collecting its pledges: wait until it is settled.") % {"title": title}
        )
    return reasons


@receiver(account_erasing, dispatch_uid="pledges_erase_idempotency_keys")
def erase_idempotency_keys(sender, *, user, **kwargs) -> None:
    # The stored answers repeat what the user sent; the pledges they made stay.
    IdempotencyKey.objects.filter(user=user).delete()
