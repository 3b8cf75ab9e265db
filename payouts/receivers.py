"""Payouts' answers to the apps below (collection, refunds, launch, webhooks), connected in
PayoutsConfig.ready(): lower apps never import payouts."""

from django.dispatch import receiver

from campaigns.signals import campaign_launching
from closing.services.webhooks import webhook_handler_register
from closing.signals import pledge_collected
from core.queue import enqueue_on_commit
from payouts import services
from pledges.signals import charge_refunded


@receiver(pledge_collected, dispatch_uid="payouts_ledger_collection")
def record_collection(sender, *, pledge, charge, **kwargs) -> None:
    services.ledger_record_collection(charge=charge, campaign_id=pledge.campaign_id)
    enqueue_on_commit("payouts.tasks.record_charge_fee", charge.pk)


@receiver(charge_refunded, dispatch_uid="payouts_ledger_refund")
def record_refund(sender, *, charge, before, **kwargs) -> None:
    campaign_id = charge.pledge.campaign_id
    services.ledger_record_refund(charge=charge, campaign_id=campaign_id, before=before)
    # After a payout, a refund is taken back from the creator by a reversal (if the payout is due).
    enqueue_on_commit("payouts.tasks.pay_campaign", campaign_id)


@receiver(campaign_launching, dispatch_uid="payouts_launch_check")
def check_launch(sender, *, campaign, **kwargs) -> None:
    services.payouts_check_for_launch(creator=campaign.creator)


def on_account_updated(event: dict) -> bool:
    """account.updated: a hint; the account is fetched from the provider and that is applied."""
    data = event.get("data")
    account = data.get("object") if isinstance(data, dict) else None
    account_id = account.get("id") if isinstance(account, dict) else None
    if not isinstance(account_id, str):
        return False
    return services.payout_account_sync(stripe_account_id=account_id) is not None


webhook_handler_register(event_type="account.updated", handler=on_account_updated)
