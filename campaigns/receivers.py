"""Campaigns' answers to accounts' questions (accounts.signals), connected in CampaignsConfig.ready()."""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from accounts.signals import account_deletion_blockers, account_erasing
from campaigns.models import Campaign
from campaigns.services import campaigns_delete_drafts


@receiver(account_deletion_blockers, dispatch_uid="campaigns_live_campaign_blocks_deletion")
def live_campaigns_block_deletion(sender, *, user, **kwargs) -> list[str]:
    live = Campaign.objects.filter(creator=user, state=Campaign.State.LIVE).order_by("deadline")
    return [
        _("Your campaign “%(title)s” is live: it must end (or be canceled) and be settled first.") % {"title": title}
        for title in live.values_list("title", flat=True)
    ]


@receiver(account_erasing, dispatch_uid="campaigns_erase_drafts")
def erase_drafts(sender, *, user, **kwargs) -> None:
    campaigns_delete_drafts(creator=user)
