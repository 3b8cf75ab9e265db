"""The e-mails the lower apps' events cause. Connected in NotificationsConfig.ready(), so
pledges, campaigns and closing never import notifications. Each receiver runs inside the
sender's transaction: the notification row commits or rolls back with the event."""

from django.dispatch import receiver

from accounts.signals import account_erasing
from campaigns.signals import campaign_funded
from closing.signals import campaign_closed, pledge_collected, pledge_payment_failed
from notifications import services
from payouts.signals import payout_held, payout_sent
from pledges.signals import charge_refunded, pledge_canceled, pledge_changed, pledge_confirmed


@receiver(pledge_confirmed, dispatch_uid="notify_pledge_confirmed")
def on_pledge_confirmed(sender, *, pledge, **kwargs) -> None:
    services.notify_pledge(pledge, services.PLEDGE_CONFIRMED)


@receiver(pledge_changed, dispatch_uid="notify_pledge_changed")
def on_pledge_changed(sender, *, pledge, version: str, **kwargs) -> None:
    services.notify_pledge(pledge, services.PLEDGE_CHANGED, version=version)


@receiver(pledge_canceled, dispatch_uid="notify_pledge_canceled")
def on_pledge_canceled(sender, *, pledge, **kwargs) -> None:
    services.notify_pledge(pledge, services.PLEDGE_CANCELED)


@receiver(campaign_funded, dispatch_uid="notify_campaign_funded")
def on_campaign_funded(sender, *, campaign_id: int, **kwargs) -> None:
    services.notify_campaign_later(campaign_id, services.CAMPAIGN_FUNDED)


@receiver(campaign_closed, dispatch_uid="notify_campaign_closed")
def on_campaign_closed(sender, *, campaign_id: int, successful: bool, **kwargs) -> None:
    services.notify_campaign_later(
        campaign_id, services.CAMPAIGN_SUCCESSFUL if successful else services.CAMPAIGN_FAILED
    )


@receiver(pledge_payment_failed, dispatch_uid="notify_payment_failed")
def on_payment_failed(sender, *, pledge, charge, **kwargs) -> None:
    services.notify(
        recipient_id=pledge.backer_id,
        kind=services.PAYMENT_FAILED,
        key=f"{services.PAYMENT_FAILED}:{charge.pk}",
        pledge_id=pledge.pk,
    )


@receiver(pledge_collected, dispatch_uid="notify_pledge_charged")
def on_pledge_collected(sender, *, pledge, charge, **kwargs) -> None:
    services.notify_charged(pledge=pledge, charge=charge)


@receiver(charge_refunded, dispatch_uid="notify_pledge_refunded")
def on_charge_refunded(sender, *, charge, before, **kwargs) -> None:
    services.notify_refunded(charge=charge, before=before)


@receiver(payout_sent, dispatch_uid="notify_payout_sent")
def on_payout_sent(sender, *, payout, **kwargs) -> None:
    services.notify_payout(payout=payout, kind=services.PAYOUT_SENT)


@receiver(payout_held, dispatch_uid="notify_payout_held")
def on_payout_held(sender, *, payout, notify_staff: bool, **kwargs) -> None:
    services.notify_payout(payout=payout, kind=services.PAYOUT_HELD, notify_staff=notify_staff)


@receiver(account_erasing, dispatch_uid="notifications_erase_account")
def on_account_erasing(sender, *, user, **kwargs) -> None:
    services.notifications_erase(user_id=user.pk)
