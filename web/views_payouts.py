"""The creator's payouts in the studio: the payout account (Stripe's hosted onboarding through an
Account Link, back here after it, a login link to the Express dashboard) and each campaign's
statement, on a page and as CSV/XLSX. Only the campaign's creator reaches these pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from core.errors import DomainError
from payouts.selectors import campaign_statement, payout_account_of
from payouts.services import (
    payout_account_login_link,
    payout_account_onboarding_link,
    payout_account_sync,
)
from pledges.payments import PaymentError
from reports.responses import report_response
from reports.statement import statement_report


@login_required
def studio_payouts(request):
    account = payout_account_of(request.user)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "dashboard":
                return redirect(payout_account_login_link(creator=request.user))
            url = payout_account_onboarding_link(
                creator=request.user,
                return_url=request.build_absolute_uri(reverse("studio-payouts-return")),
                refresh_url=request.build_absolute_uri(reverse("studio-payouts")),
            )
        except (DomainError, PaymentError) as error:
            messages.error(request, error.message)
            return redirect("studio-payouts")
        return redirect(url)
    campaigns = Campaign.objects.filter(creator=request.user, state=Campaign.State.SUCCESSFUL).order_by("-closed_at")
    return render(request, "web/studio/payouts.html", {"account": account, "campaigns": campaigns})


@login_required
def studio_payouts_return(request):
    """Back from the provider's onboarding: what the provider now says about the account."""
    account = payout_account_of(request.user)
    if account is not None:
        try:
            account = payout_account_sync(stripe_account_id=account.stripe_account_id)
        except PaymentError as error:
            messages.error(request, error.message)
            return redirect("studio-payouts")
    if account is not None and account.payouts_enabled:
        messages.success(request, _("Your payout account is ready to receive payouts."))
    else:
        messages.warning(request, _("Your payout account is not finished yet: continue its set-up."))
    return redirect("studio-payouts")


def _own_campaign(request, slug: str) -> Campaign:
    return get_object_or_404(Campaign.objects.filter(creator=request.user), slug=slug)


@login_required
def studio_statement(request, slug: str):
    campaign = _own_campaign(request, slug)
    return render(
        request, "web/studio/statement.html", {"campaign": campaign, "s": campaign_statement(campaign=campaign)}
    )


@login_required
def studio_statement_download(request, slug: str, fmt: str):
    campaign = _own_campaign(request, slug)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    return report_response(statement_report(campaign_statement(campaign=campaign)), fmt)
