"""The creator studio: my campaigns, a draft's fields and tiers, launch and cancel, and a
campaign's dashboard (totals, tier sales, backers, updates).

Only the campaign's creator reaches these pages; anyone else (staff included) gets a 404.
Every change is the service the API calls, and a refusal (DomainError) becomes a form error.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import user_time_zone
from campaigns.models import Campaign
from campaigns.services import (
    campaign_create,
    campaign_launch_or_submit,
    campaign_set_faq,
    campaign_set_late_pledges,
    campaign_update,
)
from closing.selectors import collection_progress
from closing.services import campaign_cancel
from core.errors import DomainError
from core.markdown import render_for_storage, shift_headings
from core.uploads import too_large_message, upload_refused
from fulfilment.selectors import may_view_addresses
from pledges.models import Pledge
from reports.backers import NO_REWARD, BackerFilters, backer_count, backer_report
from reports.models import ExportJob
from reports.responses import report_response
from reports.services import export_create
from reports.stats import CampaignStats
from rewards.services import (
    Rule,
    add_on_create,
    add_on_delete,
    add_on_update,
    reward_create,
    reward_delete,
    reward_update,
)
from updates.selectors import updates_visible_to
from updates.services import EDIT_WINDOW, update_edit, update_publish
from web.charts import funding_series
from web.forms import (
    AddOnForm,
    CampaignForm,
    LatePledgesForm,
    LiveCampaignForm,
    QuestionFormSet,
    RewardForm,
    ShippingRuleFormSet,
    UpdateEditForm,
    UpdateForm,
    add_domain_error,
)
from web.views_community import studio_community_context

BACKERS_PAGE_SIZE = 25
# How often the dashboard asks for the collection progress while it is under way.
COLLECTION_POLL_SECONDS = 5


def _own_campaign(request, slug: str) -> Campaign:
    return get_object_or_404(Campaign.objects.filter(creator=request.user), slug=slug)


def _campaign_initial(campaign: Campaign) -> dict:
    return {
        "title": campaign.title,
        "description": campaign.description,
        "goal": campaign.goal,
        "currency": campaign.currency,
        "deadline": campaign.deadline,
        "funding_model": campaign.funding_model,
        "image_alt": campaign.image_alt,
        "blurb": campaign.blurb,
        "category": campaign.category_id,
        "risks": campaign.risks,
        "video_url": campaign.video_url,
    }


@login_required
def studio_home(request):
    campaigns = Campaign.objects.filter(creator=request.user).order_by("-created_at", "-id")
    return render(request, "web/studio/home.html", {"campaigns": campaigns})


def _previewing(request) -> bool:
    """The form's Preview button: the story is rendered from what was typed, nothing is saved."""
    return request.method == "POST" and "preview" in request.POST


def _story_preview(request) -> tuple[str | None, str | None]:
    """The typed story as backers would see it, or why it cannot be shown (the limits the service
    applies when it is saved: a preview renders no more than a save would)."""
    try:
        html = render_for_storage(
            request.POST.get("description", ""), field="description", max_length=Campaign.DESCRIPTION_MAX_LENGTH
        )
    except DomainError as error:
        return None, error.message
    return shift_headings(html, top_heading=3), None


def _preview_form(form_class, request, **kwargs):
    """The form again with what was typed, unbound (a preview is not a submission: no errors).
    A browser never sends a file back, so a chosen image has to be chosen again."""
    typed = {name: request.POST.get(name, "") for name in form_class.base_fields if name in request.POST}
    return form_class(initial=typed, **kwargs)


def _refused_upload(request, form) -> None:
    """A picture the upload handler stopped (too large) never reached the form: say so on its field."""
    if form.is_bound and upload_refused(request):
        form.add_error("image", too_large_message())


def in_creator_zone(view):
    """The studio's deadline is typed and shown in the creator's time zone (their profile, else
    settings.TIME_ZONE): the form fields read and render datetimes in the current zone."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with timezone.override(user_time_zone(request.user)):
            return view(request, *args, **kwargs)

    return wrapped


def _zone_beside_deadline(form) -> None:
    if "deadline" in form.fields:
        form.fields["deadline"].help_text = _("In your time zone, %(zone)s (you can change it in your account).") % {
            "zone": timezone.get_current_timezone_name()
        }


@login_required
@in_creator_zone
def studio_new(request):
    preview = preview_error = None
    previewing = _previewing(request)
    if previewing:
        form = _preview_form(CampaignForm, request)
        preview, preview_error = _story_preview(request)
    else:
        form = CampaignForm(request.POST or None, request.FILES or None, initial={"currency": "USD"})
        _refused_upload(request, form)
    _zone_beside_deadline(form)
    if request.method == "POST" and not previewing and form.is_valid():
        try:
            campaign = campaign_create(creator=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Your draft is saved. Add tiers, then launch it."))
            return redirect("studio-campaign", slug=campaign.slug)
    return render(
        request,
        "web/studio/edit.html",
        {"form": form, "campaign": None, "preview": preview, "preview_error": preview_error, "previewing": previewing},
        status=400 if preview_error or (form.is_bound and form.errors) else 200,
    )


@login_required
@in_creator_zone
def studio_edit(request, slug: str):
    campaign = _own_campaign(request, slug)
    if campaign.state not in (Campaign.State.DRAFT, Campaign.State.LIVE):
        messages.error(request, _("A closed campaign cannot be edited."))
        return redirect("studio-campaign", slug=campaign.slug)
    form_class = CampaignForm if campaign.state == Campaign.State.DRAFT else LiveCampaignForm
    has_image = bool(campaign.image)
    previewing = _previewing(request)
    preview_error = None
    if previewing:
        form = _preview_form(form_class, request, has_image=has_image)
        preview, preview_error = _story_preview(request)
    else:
        form = form_class(
            request.POST or None, request.FILES or None, initial=_campaign_initial(campaign), has_image=has_image
        )
        _refused_upload(request, form)
        preview = shift_headings(campaign.description_html, top_heading=3)
    _zone_beside_deadline(form)
    if request.method == "POST" and not previewing and form.is_valid():
        try:
            campaign_update(campaign=campaign, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("studio-campaign", slug=campaign.slug)
    return render(
        request,
        "web/studio/edit.html",
        {
            "form": form,
            "campaign": campaign,
            "preview": preview,
            "preview_error": preview_error,
            "previewing": previewing,
        },
        status=400 if preview_error or (form.is_bound and form.errors) else 200,
    )


def _backers_table(request, campaign: Campaign):
    """The campaign's pledges, filtered by tier and state (the backer report's filters), paginated."""
    reward = request.GET.get("reward", "")
    state = request.GET.get("state", "")
    try:
        filters = BackerFilters.parse(campaign=campaign, reward=reward, state=state)
    except DomainError as error:
        messages.error(request, error.message)
        filters, reward, state = BackerFilters(), "", ""
    pledges = filters.apply(
        Pledge.objects.filter(campaign=campaign)
        .select_related("backer__profile", "reward")
        .order_by("created_at", "id")
    )
    page = Paginator(pledges, BACKERS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in (("reward", reward), ("state", state)) if value})
    return {"page": page, "reward": reward, "state": state, "query": query}


@login_required
def studio_backers_xlsx(request, slug: str):
    """The backer report as an Excel file: the CSV's columns and filters, amounts as numbers.

    Up to STUDIO_INLINE_EXPORT_ROWS rows it is built in the request: openpyxl's write-only mode
    writes the rows as the database cursor yields them, to a temporary file that is then
    streamed (reports.responses), so memory stays flat. A larger report is a background export
    (reports.services.export_create): the creator is e-mailed a download link when it is ready.
    """
    campaign = _own_campaign(request, slug)
    try:
        filters = BackerFilters.parse(
            campaign=campaign, reward=request.GET.get("reward", ""), state=request.GET.get("state", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("studio-campaign", slug=campaign.slug)
    rows = backer_count(campaign, filters)
    if rows > settings.STUDIO_INLINE_EXPORT_ROWS:
        export_create(
            requested_by=request.user,
            kind=ExportJob.Kind.BACKERS,
            format="xlsx",
            campaign=campaign,
            filters=filters.as_json(),
            rows_total=rows,
        )
        messages.info(
            request,
            _(
                "The backer report has %(rows)s rows, so it is being built in the background. "
                "We will e-mail you a download link when it is ready."
            )
            % {"rows": rows},
        )
        return redirect("studio-campaign", slug=campaign.slug)
    addresses = may_view_addresses(request.user, campaign)
    return report_response(backer_report(campaign, filters, addresses=addresses), "xlsx")


def _daily_chart(campaign: Campaign) -> tuple[dict | None, CampaignStats | None]:
    """The dashboard chart's data (web.charts, drawn by static/web/daily-chart.js) and the stats."""
    data, stats = funding_series(campaign)
    if data is not None:
        data["names"] = {
            "pledged": _("Pledged that day"),
            "cumulative": _("Running total"),
            "goal": _("Goal"),
            "projection": _("Projection"),
        }
    return data, stats


def _collection(request, campaign: Campaign) -> dict:
    progress = collection_progress(campaign=campaign)
    return {"campaign": campaign, "progress": progress, "poll_seconds": COLLECTION_POLL_SECONDS}


@login_required
def studio_collection(request, slug: str):
    """The collection progress fragment the dashboard polls (static/web/poll.js) until it is done."""
    campaign = _own_campaign(request, slug)
    response = render(request, "web/studio/_collection.html", _collection(request, campaign))
    response["Cache-Control"] = "no-store"
    return response


def _late_form(campaign: Campaign, data=None) -> LatePledgesForm | None:
    if campaign.state not in (Campaign.State.DRAFT, Campaign.State.LIVE, Campaign.State.SUCCESSFUL):
        return None
    initial = {"until": campaign.late_pledges_until, "price_percent": campaign.late_price_percent}
    return LatePledgesForm(data, initial=initial)


def _dashboard(
    request,
    campaign: Campaign,
    *,
    launch_errors=(),
    launch_needs_mfa=False,
    update_form=None,
    late_form=None,
    status=200,
):
    rewards = list(campaign.rewards.prefetch_related("shipping_rules"))
    now = timezone.now()
    updates = [
        {
            "update": update,
            "html": shift_headings(update.body_html, top_heading=4),
            "editable_until": update.published_at + EDIT_WINDOW if now <= update.published_at + EDIT_WINDOW else None,
        }
        for update in updates_visible_to(campaign, request.user)[:20]
    ]
    context = {
        "campaign": campaign,
        "rewards": rewards,
        "time_zone": user_time_zone(request.user),
        "add_ons": list(campaign.add_ons.prefetch_related("tiers")),
        "launch_errors": launch_errors,
        "launch_needs_mfa": launch_needs_mfa,
        "preview": shift_headings(campaign.description_html, top_heading=3),
        "updates": updates,
        "update_form": update_form or UpdateForm(rewards=rewards),
        "states": Pledge.State.choices,
        "no_reward": NO_REWARD,
        "backers": _backers_table(request, campaign) if campaign.state != Campaign.State.DRAFT else None,
        "collection": _collection(request, campaign) if campaign.state == Campaign.State.SUCCESSFUL else None,
        "community": studio_community_context(request, campaign),
        "review_required": settings.CAMPAIGN_REVIEW_REQUIRED,
        "late_form": late_form or _late_form(campaign),
    }
    context["chart"], context["stats"] = _daily_chart(campaign)
    return render(request, "web/studio/dashboard.html", context, status=status)


@login_required
def studio_campaign(request, slug: str):
    return _dashboard(request, _own_campaign(request, slug))


@login_required
@require_POST
def studio_launch(request, slug: str):
    campaign = _own_campaign(request, slug)
    try:
        campaign = campaign_launch_or_submit(campaign=campaign)
    except DomainError as error:
        if error.code == "mfa_required":  # the page links to the set-up; the API's message carries its URL
            message = _("Turn on two-factor sign-in before you launch a campaign.")
            return _dashboard(request, campaign, launch_errors=[message], launch_needs_mfa=True, status=403)
        return _dashboard(request, campaign, launch_errors=[error.message], status=400)
    if campaign.state == Campaign.State.DRAFT:
        messages.success(
            request, _("Your campaign is submitted for review. We'll e-mail you when staff have looked at it.")
        )
    else:
        messages.success(request, _("Your campaign is live."))
    return redirect("studio-campaign", slug=campaign.slug)


@login_required
@require_POST
def studio_late_pledges(request, slug: str):
    campaign = _own_campaign(request, slug)
    form = _late_form(campaign, request.POST)
    if form is None:
        raise Http404("This campaign takes no late pledges.")
    if form.is_valid():
        try:
            campaign_set_late_pledges(
                campaign=campaign,
                until=form.cleaned_data["until"],
                price_percent=form.cleaned_data["price_percent"] or 0,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Late pledges are saved."))
            return redirect("studio-campaign", slug=campaign.slug)
    return _dashboard(request, campaign, late_form=form, status=400)


@login_required
def studio_cancel(request, slug: str):
    """A confirmation page, then the cancel: every pledge is released and no card is charged."""
    campaign = _own_campaign(request, slug)
    error = None
    if request.method == "POST":
        try:
            campaign_cancel(campaign=campaign)
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("The campaign is canceled; no backer will be charged."))
            return redirect("studio-campaign", slug=campaign.slug)
    return render(
        request, "web/studio/cancel.html", {"campaign": campaign, "error": error}, status=400 if error else 200
    )


def _reward_values(form: RewardForm, rules) -> dict:
    """The tier's fields and, for one that ships, its rules (a digital tier keeps none)."""
    data = dict(form.cleaned_data)
    if rules.is_bound:
        data["shipping_rules"] = _rules(rules) if data["ships"] else []
    return data


def _rules(formset) -> list[Rule]:
    rules = []
    for row in formset.cleaned_data:
        if not row or row.get("DELETE") or not row.get("destination"):
            continue
        kind, _sep, place = row["destination"].partition(":")
        rules.append(Rule(price=row["price"], **{"country" if kind == "country" else "region": place}))
    return rules


def _rules_initial(reward) -> list[dict]:
    return [
        {"destination": f"country:{rule.country}" if rule.country else f"region:{rule.region}", "price": rule.price}
        for rule in reward.shipping_rules.all()
    ]


@login_required
def studio_reward(request, slug: str, reward_id: int | None = None):
    """Add a tier (no id) or edit one of this campaign's tiers, with where it ships and at what price."""
    campaign = _own_campaign(request, slug)
    reward = get_object_or_404(campaign.rewards, pk=reward_id) if reward_id else None
    initial = {}
    if reward:
        initial = {name: getattr(reward, name) for name in RewardForm.base_fields}
    form = RewardForm(request.POST or None, initial=initial)
    # A post without the rules' rows (a client that knows only the tier's fields) leaves them as they are.
    posted_rules = request.method == "POST" and "shipping-TOTAL_FORMS" in request.POST
    rules = ShippingRuleFormSet(
        request.POST if posted_rules else None, prefix="shipping", initial=_rules_initial(reward) if reward else []
    )
    if request.method == "POST" and form.is_valid() and (not posted_rules or rules.is_valid()):
        try:
            if reward:
                reward_update(reward=reward, **_reward_values(form, rules))
            else:
                reward_create(campaign=campaign, **_reward_values(form, rules))
        except DomainError as error:
            add_domain_error(form, error, fields={"below_minimum_charge": "minimum"})
        else:
            messages.success(request, _("Tier saved."))
            return redirect("studio-campaign", slug=campaign.slug)
    return render(
        request,
        "web/studio/reward.html",
        {"form": form, "rules": rules, "campaign": campaign, "reward": reward},
        status=400 if request.method == "POST" and (form.errors or (posted_rules and not rules.is_valid())) else 200,
    )


@login_required
def studio_add_on(request, slug: str, add_on_id: int | None = None):
    """Add an add-on (no id) or edit one of this campaign's."""
    campaign = _own_campaign(request, slug)
    add_on = get_object_or_404(campaign.add_ons, pk=add_on_id) if add_on_id else None
    initial: dict = {}
    if add_on:
        initial = {name: getattr(add_on, name) for name in AddOnForm.base_fields if name != "tiers"}
        initial["tiers"] = [str(pk) for pk in add_on.tiers.values_list("pk", flat=True)]
    form = AddOnForm(request.POST or None, initial=initial, rewards=list(campaign.rewards.all()))
    if request.method == "POST" and form.is_valid():
        values = {**form.cleaned_data, "tiers": [int(pk) for pk in form.cleaned_data["tiers"]]}
        try:
            if add_on:
                add_on_update(add_on=add_on, **values)
            else:
                add_on_create(campaign=campaign, **values)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Add-on saved."))
            return redirect("studio-campaign", slug=campaign.slug)
    return render(
        request,
        "web/studio/add_on.html",
        {"form": form, "campaign": campaign, "add_on": add_on},
        status=400 if request.method == "POST" and form.errors else 200,
    )


@login_required
@require_POST
def studio_add_on_delete(request, slug: str, add_on_id: int):
    campaign = _own_campaign(request, slug)
    add_on = get_object_or_404(campaign.add_ons, pk=add_on_id)
    try:
        add_on_delete(add_on=add_on)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Add-on deleted."))
    return redirect("studio-campaign", slug=campaign.slug)


@login_required
@require_http_methods(["GET", "POST"])
def studio_reward_delete(request, slug: str, reward_id: int):
    """A page that asks first (GET), then the deletion (POST): nothing is deleted by a link."""
    campaign = _own_campaign(request, slug)
    reward = get_object_or_404(campaign.rewards, pk=reward_id)
    if request.method == "GET":
        return render(request, "web/studio/reward_delete.html", {"campaign": campaign, "reward": reward})
    try:
        reward_delete(reward=reward)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Tier deleted."))
    return redirect("studio-campaign", slug=campaign.slug)


@login_required
@require_POST
def studio_update(request, slug: str):
    """Post an update to everyone, the backers, or the backers of chosen tiers."""
    campaign = _own_campaign(request, slug)
    form = UpdateForm(request.POST, rewards=list(campaign.rewards.all()))
    if form.is_valid():
        try:
            update_publish(
                campaign=campaign,
                author=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                audience=form.cleaned_data["audience"],
                tier_ids=[int(pk) for pk in form.cleaned_data["tiers"]],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Update posted; backers are being e-mailed."))
            return redirect("studio-campaign", slug=campaign.slug)
    return _dashboard(request, campaign, update_form=form, status=400)


@login_required
def studio_update_edit(request, slug: str, number: int):
    """Fix an update within its edit window (``updates.services.EDIT_WINDOW``); e-mails are not resent."""
    campaign = _own_campaign(request, slug)
    update = get_object_or_404(campaign.updates, number=number)
    form = UpdateEditForm(request.POST or None, initial={"title": update.title, "body": update.body})
    if request.method == "POST" and form.is_valid():
        try:
            update_edit(update=update, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Update saved."))
            return redirect("studio-campaign", slug=campaign.slug)
    return render(
        request,
        "web/studio/update_edit.html",
        {"form": form, "campaign": campaign, "update": update, "editable_until": update.published_at + EDIT_WINDOW},
        status=400 if request.method == "POST" and form.errors else 200,
    )


@login_required
def studio_faq(request, slug: str):
    """The campaign's FAQ: questions and answers the creator writes (an empty row is dropped)."""
    campaign = _own_campaign(request, slug)
    initial = [{"question": q.question, "answer": q.answer} for q in campaign.faq.all()]
    formset = QuestionFormSet(request.POST or None, initial=initial, prefix="faq")
    if request.method == "POST" and formset.is_valid():
        entries = [(form.cleaned_data.get("question", ""), form.cleaned_data.get("answer", "")) for form in formset]
        try:
            campaign_set_faq(campaign=campaign, entries=entries)
        except DomainError as error:
            formset.non_form_errors().append(error.message)
        else:
            messages.success(request, _("The FAQ is saved."))
            return redirect("studio-campaign", slug=campaign.slug)
    return render(
        request,
        "web/studio/faq.html",
        {"formset": formset, "campaign": campaign},
        status=400 if formset.is_bound and (formset.errors or formset.non_form_errors()) else 200,
    )
