"""The backer's pages: checkout, the card step (Stripe.js), "My pledges", changes, cancel,
a new card for an errored pledge, receipts, and e-mail settings.

Every pledge page loads the pledge among the signed-in user's own (someone else's is a
404), and every change is one call to the service the API calls too. The card never
touches our server: Stripe.js confirms a SetupIntent in the browser, then the page posts
back and the server asks Stripe what happened (``pledge_confirm``,
``pledge_replace_payment_method``).
"""

import secrets
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Unsubscription
from accounts.selectors import supported_language
from accounts.services import resubscribe, unsubscribe, user_set_language
from campaigns.models import Campaign
from campaigns.selectors import campaigns_visible_to
from closing.services.collection import pledge_payment_method_setup, pledge_replace_payment_method
from closing.services.late import late_pledge_confirm, pledge_place
from community.middleware import referral_source_for
from community.services import referral_record
from core.clients import client_address
from core.errors import DomainError, PaymentFailed
from core.money import currency_decimal_places, format_money
from notifications.models import Reminder
from notifications.services import reminder_remove
from pledges.idempotency import idempotent, request_fingerprint
from pledges.models import Charge, Pledge
from pledges.selectors import Receipt, pledge_receipt, pledges_receipt_visible_to, pledges_visible_to
from pledges.services import (
    PledgeRequest,
    pledge_cancel,
    pledge_lapse_if_expired,
    pledge_minimum,
    pledge_update,
)
from rewards.regions import COUNTRIES, SPECIFICITY
from web.forms import NO_REWARD, PledgeForm

# --- helpers ---------------------------------------------------------------------------


def _given(pledge: Pledge) -> Decimal:
    """What the backer gives for the reward itself: the amount less shipping and add-ons."""
    return pledge.amount - pledge.shipping_amount - sum((line.total for line in pledge.add_on_lines.all()), Decimal(0))


def _own_pledges(request):
    """The signed-in user's own pledges (staff too see only their own here)."""
    return pledges_visible_to(request.user).filter(backer=request.user).select_related("reward")


def _own_pledge(request, pledge_id: int) -> Pledge:
    return get_object_or_404(_own_pledges(request), pk=pledge_id)


def _stripe_context() -> dict:
    return {"stripe_js_url": settings.STRIPE_JS_URL, "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY}


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _pledge_form(campaign: Campaign, data=None, initial=None) -> PledgeForm:
    return PledgeForm(
        data,
        initial=initial,
        campaign=campaign,
        rewards=list(campaign.rewards.all()),
        decimals=currency_decimal_places(campaign.currency),
        add_ons=list(campaign.add_ons.prefetch_related("tiers")),
    )


def _add_form_error(form: PledgeForm, field: str | None, message: str) -> None:
    """A refusal on the field it names (the destination), else above the form."""
    form.add_error(field if field in form.fields else None, message)


def _shipping_context(campaign: Campaign) -> dict:
    """The tiers with their shipping rules, and the add-ons, for the checkout and change forms."""
    return {
        "rewards": list(campaign.rewards.prefetch_related("shipping_rules")),
        "add_ons": list(campaign.add_ons.prefetch_related("tiers")),
        "regions": {"order": list(SPECIFICITY), "countries": {r: sorted(c) for r, c in COUNTRIES.items()}},
    }


def _checkout_url(campaign: Campaign, *, reward_id: int | None, amount: Decimal, country: str = "") -> str:
    query = {"amount": str(campaign.money(amount))}
    if reward_id:
        query["reward"] = str(reward_id)
    if country:
        query["country"] = country
    return reverse("pledge-checkout", args=[campaign.slug]) + "?" + urlencode(query)


def _card_failure_message(post, error: DomainError, *, pledge_kept: bool = False) -> str:
    """What the backer reads after the card step failed, from what Stripe.js said in the browser."""
    code = post.get("error_code", "")[:100]
    said = post.get("error_message", "")[:300].strip()
    outcome = (
        _("Nothing was charged; your pledge still waits for a card that works.")
        if pledge_kept
        else _("Nothing was charged and no pledge was made.")
    )
    if code in ("setup_intent_authentication_failure", "authentication_required") or "authenticat" in said.lower():
        return _(
            "Your bank did not confirm this card (the 3-D Secure check was not completed). %(outcome)s "
            "Try again and complete your bank's check, or use another card."
        ) % {"outcome": outcome}
    if said or isinstance(error, PaymentFailed):
        reason = (said or error.message).rstrip(".")
        if "declin" not in reason.lower():
            reason = _("Your card was declined: %(reason)s") % {"reason": reason}
        return _("%(reason)s. %(outcome)s Try another card.") % {"reason": reason, "outcome": outcome}
    return error.message


# --- checkout ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pledge_checkout(request, slug: str):
    """Step 1: a tier and an amount. The pledge is created pending (pledge_create without a card)
    and holds its tier while step 2 saves the card. A per-form token makes a double submit one pledge."""
    campaign = get_object_or_404(campaigns_visible_to(request.user), slug=slug)
    existing = _own_pledges(request).filter(campaign=campaign, state__in=Pledge.LIVE_STATES).first()
    if existing is not None:
        if existing.state == Pledge.State.PENDING:
            return redirect("my-pledge-card", existing.pk)
        messages.info(request, _("You already back this campaign. You can change your pledge here."))
        return redirect("my-pledge", existing.pk)
    late = campaign.takes_late_pledges
    context = {"campaign": campaign, **_shipping_context(campaign), "late": late}
    if not (campaign.is_open_for_pledges or late) or campaign.creator_id == request.user.pk:
        context["closed"] = True
        return render(request, "web/pledges/checkout.html", context, status=409)
    status = 200
    if request.method == "POST":
        form = _pledge_form(campaign, request.POST)
        if form.is_valid():
            outcome = _create_pledge(request, campaign, form)
            if isinstance(outcome, Pledge):
                return redirect("my-pledge-card", outcome.pk)
            _add_form_error(form, getattr(form, "refused_field", None), outcome)
        status = 400
        data = cast(QueryDict, form.data).copy()
        data["token"] = _new_token()  # a corrected form is another request
        form.data = data
    else:
        form = _pledge_form(campaign, initial=_checkout_initial(request, campaign))
    return render(request, "web/pledges/checkout.html", {**context, "form": form}, status=status)


def _checkout_initial(request, campaign: Campaign) -> dict:
    """A tier chosen on the campaign page (?reward=), or the values of a card step that failed."""
    asked = request.GET.get("reward")
    reward = campaign.rewards.filter(pk=asked).first() if _is_int(asked) else None
    late = campaign.takes_late_pledges
    least = (
        campaign.money(pledge_minimum(reward, late=late)) if reward and not reward.ships else ""
    )  # shipping: once a destination is chosen
    amount = request.GET.get("amount", "")[:20] or least
    initial = {"reward": str(reward.pk) if reward else NO_REWARD, "amount": amount, "token": _new_token()}
    country = request.GET.get("country", "")[:2].upper()
    if reward and reward.ships and country.isalpha():  # where a lapsed hold was going (the form checks it)
        initial["shipping_country"] = country
    return initial


def _is_int(value: str | None) -> bool:
    return value is not None and value.isdigit() and len(value) < 18


def _create_pledge(request, campaign: Campaign, form: PledgeForm) -> Pledge | str:
    reward_id, amount = form.reward_id(), form.cleaned_data["amount"]
    country = form.cleaned_data.get("shipping_country") or ""
    add_ons = {pk: quantity for pk, quantity in form.add_on_quantities().items() if quantity}

    def run() -> tuple[int, dict]:
        try:
            ask = PledgeRequest(
                campaign_id=campaign.pk, amount=amount, reward_id=reward_id, shipping_country=country, add_ons=add_ons
            )
            pledge = pledge_place(backer=request.user, ask=ask, client=client_address(request))
        except DomainError as error:
            return error.status_code, {"detail": error.message, "code": error.code, "field": error.field}
        # Where the backer came from (a ?ref= link, a search, another site), kept since the campaign page.
        referral_record(pledge=pledge, source=referral_source_for(request, campaign.slug))
        return 201, {"pledge": pledge.pk}

    token = form.cleaned_data.get("token") or _new_token()
    body: Any  # run()'s body, or the stored one: a dict either way
    try:
        status, body = idempotent(
            user=request.user,
            key=f"web-checkout:{token}",
            fingerprint=request_fingerprint(
                request.path,
                {"reward": reward_id, "amount": str(amount), "country": country, "add_ons": sorted(add_ons.items())},
            ),
            run=run,
        )
    except DomainError as error:
        return error.message
    if status == 201:
        return _own_pledge(request, body["pledge"])
    form.refused_field = body.get("field")  # type: ignore[attr-defined]
    return body["detail"]


@login_required
def pledge_card(request, pledge_id: int):
    """Step 2: Stripe.js confirms the pending pledge's SetupIntent in the browser (3-D Secure included).
    A refused card comes back here to try another; a hold past its time explains itself instead."""
    pledge = _own_pledge(request, pledge_id)
    if pledge_lapse_if_expired(pledge=pledge):
        return _lapsed(request, pledge)
    if pledge.state != Pledge.State.PENDING:
        return redirect("my-pledge", pledge.pk)
    return render(
        request,
        "web/pledges/card.html",
        {
            "pledge": pledge,
            "campaign": pledge.campaign,
            "client_secret": pledge.setup_client_secret,
            "action": reverse("my-pledge-confirm", args=[pledge.pk]),
            "holds_tier": pledge.reward is not None and pledge.reward.limit is not None,
            **_stripe_context(),
        },
    )


def _lapsed(request, pledge: Pledge):
    """The hold lapsed before a card was saved: say so, and offer to start again with the same choice."""
    campaign = pledge.campaign
    return render(
        request,
        "web/pledges/lapsed.html",
        {
            "pledge": pledge,
            "campaign": campaign,
            "minutes": int(settings.PENDING_PLEDGE_TTL.total_seconds() // 60),
            "open": campaign.is_open_for_pledges,
            "restart_url": _checkout_url(
                campaign, reward_id=pledge.reward_id, amount=pledge.amount, country=str(pledge.shipping_country)
            ),
        },
        status=410,
    )


@login_required
@require_POST
def pledge_confirm_view(request, pledge_id: int):
    """After confirmCardSetup: the server asks Stripe (pledge_confirm). A refused card (declined,
    3-D Secure failed) keeps the pending pledge and its hold: the backer tries another card on the
    card step; a hold past its time is explained there."""
    pledge = _own_pledge(request, pledge_id)
    browser_failed = bool(request.POST.get("error_code") or request.POST.get("error_message"))
    try:
        pledge = late_pledge_confirm(pledge=pledge)  # a late pledge is charged here, at once
    except DomainError as error:
        pledge.refresh_from_db()
        if pledge.is_late and pledge.state == Pledge.State.ERRORED:  # saved, but declined when charged
            messages.error(request, error.message)
            return redirect("my-pledge-payment-method", pledge.pk)
        if pledge.end_reason == Pledge.EndReason.EXPIRED and pledge.activated_at is None:
            return redirect("my-pledge-card", pledge.pk)  # the card step explains the lapsed hold
        if pledge.state == Pledge.State.PENDING:
            if browser_failed or isinstance(error, PaymentFailed):
                messages.error(request, _card_failure_message(request.POST, error, pledge_kept=True))
            else:
                messages.error(request, error.message)
            return redirect("my-pledge-card", pledge.pk)
        messages.error(request, error.message)
        return redirect("my-pledge", pledge.pk)
    return redirect("my-pledge-thanks", pledge.pk)


@login_required
def pledge_thanks(request, pledge_id: int):
    pledge = _own_pledge(request, pledge_id)
    if pledge.state == Pledge.State.PENDING:
        return redirect("my-pledge-card", pledge.pk)
    return render(request, "web/pledges/thanks.html", {"pledge": pledge, "campaign": pledge.campaign})


# --- my pledges -------------------------------------------------------------------------


@login_required
def my_pledges(request):
    # A checkout whose card never got saved (declined, abandoned, lapsed) is no pledge to show.
    attempts = Q(state=Pledge.State.CANCELED, activated_at__isnull=True)
    pledges = _own_pledges(request).exclude(attempts).order_by("-created_at", "-id")
    # What became of the reward, and the survey to answer (web/pledges/_fulfilment.html).
    pledges = pledges.select_related("fulfilment", "survey_response", "campaign__survey")
    return render(request, "web/pledges/list.html", {"pledges": pledges})


def _detail_context(pledge: Pledge, form: PledgeForm | None = None) -> dict:
    campaign = pledge.campaign
    changeable = pledge.state in Pledge.CHANGEABLE_STATES and campaign.is_open_for_pledges
    if changeable and form is None:
        form = _pledge_form(
            campaign,
            initial={
                "reward": str(pledge.reward_id) if pledge.reward_id else NO_REWARD,
                "amount": campaign.money(pledge.amount),
                "shipping_country": str(pledge.shipping_country),
                **{f"add_on_{line.add_on_id}": line.quantity for line in pledge.add_on_lines.all()},
            },
        )
    return {
        "pledge": pledge,
        "campaign": campaign,
        "changeable": changeable,
        "form": form if changeable else None,
        "charge": pledge.charges.filter(state=Charge.State.SUCCEEDED).first(),
        **(_shipping_context(campaign) if changeable else {}),
    }


@login_required
def pledge_detail(request, pledge_id: int):
    pledge = _own_pledge(request, pledge_id)
    return render(request, "web/pledges/detail.html", _detail_context(pledge))


@login_required
@require_POST
def pledge_change(request, pledge_id: int):
    pledge = _own_pledge(request, pledge_id)
    form = _pledge_form(pledge.campaign, request.POST)
    if form.is_valid():
        amount, reward_id = form.cleaned_data["amount"], form.reward_id()
        given_before = _given(pledge)
        try:
            changed = pledge_update(
                pledge=pledge,
                # Left as it was (or emptied): what is given on top stays (raised to a new tier's
                # minimum when below it), new shipping and add-ons are added.
                amount=None if amount == pledge.amount else amount,
                reward_id=reward_id,
                shipping_country=form.cleaned_data.get("shipping_country") or "",
                add_ons=form.add_on_quantities(),
            )
        except DomainError as error:
            _add_form_error(form, error.field, error.message)
        else:
            if amount == pledge.amount and reward_id != pledge.reward_id and _given(changed) > given_before:
                messages.success(
                    request,
                    _("Your pledge is changed. %(reward)s needs at least %(amount)s, so your pledge is now %(amount)s.")
                    % {
                        "reward": changed.reward.title if changed.reward else "",
                        "amount": format_money(changed.amount, pledge.campaign.currency),
                    },
                )
            else:
                messages.success(request, _("Your pledge is changed."))
            return redirect("my-pledge", pledge.pk)
    pledge.refresh_from_db()
    return render(request, "web/pledges/detail.html", _detail_context(pledge, form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def pledge_cancel_view(request, pledge_id: int):
    pledge = _own_pledge(request, pledge_id)
    if request.method == "POST":
        try:
            pledge_cancel(pledge=pledge)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("my-pledge", pledge.pk)
        messages.success(request, _("Your pledge to %(title)s is canceled.") % {"title": pledge.campaign.title})
        return redirect("my-pledges")
    return render(request, "web/pledges/cancel.html", {"pledge": pledge, "campaign": pledge.campaign})


@login_required
@require_http_methods(["GET", "POST"])
def pledge_payment_method(request, pledge_id: int):
    """A new card for an errored pledge (the page the payment-failed e-mail links to): Stripe.js
    saves it, then pledge_replace_payment_method charges it at once."""
    pledge = _own_pledge(request, pledge_id)
    if request.method == "POST":
        try:
            pledge = pledge_replace_payment_method(pledge=pledge, setup_intent_id=request.POST.get("setup_intent", ""))
        except DomainError as error:
            if request.POST.get("error_message") or request.POST.get("error_code"):
                messages.error(request, _card_failure_message(request.POST, error, pledge_kept=True))
            else:
                messages.error(request, error.message)
            return redirect("my-pledge-payment-method", pledge.pk)
        messages.success(
            request,
            _("Thank you! Your new card was charged %(amount)s.")
            % {"amount": format_money(pledge.amount, pledge.campaign.currency)},
        )
        return redirect("my-pledge", pledge.pk)
    if pledge.state != Pledge.State.ERRORED:
        return redirect("my-pledge", pledge.pk)
    context = {"pledge": pledge, "campaign": pledge.campaign, **_stripe_context()}
    try:
        setup = pledge_payment_method_setup(pledge=pledge)
    except DomainError as error:
        context["setup_error"] = error.message
        return render(request, "web/pledges/payment_method.html", context, status=error.status_code)
    context.update(
        client_secret=setup.client_secret,
        setup_intent=setup.id,
        action=reverse("my-pledge-payment-method", args=[pledge.pk]),
    )
    return render(request, "web/pledges/payment_method.html", context)


def _receipt_for(request, pledge_id: int) -> Receipt:
    """The receipt of a charged pledge: its backer's, or any for staff holding pledges.view_pledge;
    404 for everyone else and for a pledge not charged."""
    pledge = get_object_or_404(pledges_receipt_visible_to(request.user), pk=pledge_id)
    receipt = pledge_receipt(pledge)
    if receipt is None:
        raise Http404("This pledge has not been charged.")
    return receipt


@login_required
def pledge_receipt_page(request, pledge_id: int):
    receipt = _receipt_for(request, pledge_id)
    context = {"pledge": receipt.pledge, "campaign": receipt.pledge.campaign, "receipt": receipt}
    return render(request, "web/pledges/receipt.html", context)


@login_required
def pledge_receipt_pdf(request, pledge_id: int):
    # fpdf2 costs a fifth of a second to import: paid by the first receipt, not by every start.
    from web.receipt_pdf import receipt_pdf

    receipt = _receipt_for(request, pledge_id)
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{receipt.pledge.pk}.pdf"'
    return response


# --- e-mail settings ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    """Platform notifications on or off, each backed campaign's updates on or off, reminders."""
    user = request.user
    backed = Campaign.objects.filter(
        pk__in=_own_pledges(request).filter(state__in=Pledge.BACKER_STATES).values("campaign_id")
    ).order_by("title")
    if request.method == "POST":
        action, target = request.POST.get("action", ""), request.POST.get("campaign", "")
        campaign_id = int(target) if _is_int(target) else None
        if campaign_id is not None and not backed.filter(pk=campaign_id).exists() and action != "reminder-off":
            raise Http404("Not a campaign you back.")
        if action == "notifications-off":
            unsubscribe(user_id=user.pk, campaign_id=None)
        elif action == "notifications-on":
            resubscribe(user_id=user.pk, campaign_id=None)
        elif action == "updates-off" and campaign_id:
            unsubscribe(user_id=user.pk, campaign_id=campaign_id)
        elif action == "updates-on" and campaign_id:
            resubscribe(user_id=user.pk, campaign_id=campaign_id)
        elif action == "language" and supported_language(request.POST.get("language")):
            language = user_set_language(user=user, language=request.POST["language"])
            translation.activate(language)  # the confirmation below in the language just chosen
        elif action == "reminder-off" and campaign_id:
            reminder_remove(user=user, campaign=get_object_or_404(campaigns_visible_to(user), pk=campaign_id))
        else:
            raise Http404("Unknown setting.")
        messages.success(request, _("Your e-mail settings are saved."))
        return redirect("notification-settings")
    opted_out = set(Unsubscription.objects.filter(user=user).values_list("campaign_id", flat=True))
    return render(
        request,
        "web/accounts/settings.html",
        {
            "notifications_on": None not in opted_out,
            "backed": [(campaign, campaign.pk not in opted_out) for campaign in backed],
            "reminders": Reminder.objects.filter(user=user).select_related("campaign").order_by("campaign__deadline"),
            "languages": [(code, translation.get_language_info(code)["name_local"]) for code, _n in settings.LANGUAGES],
            "language": translation.get_language(),
        },
    )
