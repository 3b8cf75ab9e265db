"""The community's answers to the lower apps' events; connected in CommunityConfig.ready(), so
campaigns and accounts never import community. Each runs inside the sender's transaction."""

from django.dispatch import receiver

from accounts.signals import account_erasing
from campaigns.signals import campaign_launched, campaign_reviewed
from community import services
from core.queue import enqueue_on_commit


@receiver(campaign_launched, dispatch_uid="community_launch_mails")
def on_campaign_launched(sender, *, campaign_id: int, **kwargs) -> None:
    enqueue_on_commit("community.tasks.fan_out_launch", campaign_id)


@receiver(campaign_reviewed, dispatch_uid="community_review_mail")
def on_campaign_reviewed(sender, *, campaign_id: int, approved: bool, **kwargs) -> None:
    services.review_mail(campaign_id=campaign_id, approved=approved)


@receiver(account_erasing, dispatch_uid="community_erase_account")
def on_account_erasing(sender, *, user, **kwargs) -> None:
    services.community_erase(user_id=user.pk)
