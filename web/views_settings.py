"""The signed-in user's account: display name, e-mail address, password, API tokens, a copy of
their data, and deleting the account.

Each section is a page of its own under /me/account/ (the landing page links them); every
change is one call to an accounts service. The pages are personal: never cached.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.models import Profile
from accounts.selectors import user_time_zone
from accounts.services import (
    email_change_confirm,
    email_change_request,
    profile_set_time_zone,
    profile_update,
    user_delete,
    user_deletion_blockers,
    user_password_changed,
)
from accounts.tokens import token_revoke, tokens_of, tokens_revoke_all
from core.clients import client_address
from core.errors import DomainError, TooManyRequests
from core.uploads import too_large_message, upload_refused
from reports.personal_data import personal_data
from web.forms import (
    AccountPasswordForm,
    DeleteAccountForm,
    EmailChangeForm,
    ProfileForm,
    TimeZoneForm,
    add_domain_error,
)


def _display_name(user) -> str:
    return Profile.objects.filter(user=user).values_list("display_name", flat=True).first() or ""


@never_cache
@login_required
def account_home(request):
    return render(
        request,
        "web/settings/account.html",
        {
            "display_name": _display_name(request.user),
            "tokens": tokens_of(user=request.user).count(),
            "time_zone": user_time_zone(request.user),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_profile(request):
    profile = Profile.objects.filter(user=request.user).first()
    initial = {"display_name": _display_name(request.user)}
    if profile is not None:
        initial |= {"bio": profile.bio, "website": profile.website, "location": profile.location}
    has_avatar = bool(profile and profile.avatar)
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial, has_avatar=has_avatar)
    if form.is_bound and upload_refused(request):
        form.add_error("avatar", too_large_message())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile_update(
                user=request.user,
                display_name=data["display_name"],
                bio=data["bio"],
                website=data["website"],
                location=data["location"],
                avatar=data.get("avatar"),
                remove_avatar=data.get("remove_avatar", False),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("account-home")
    return render(
        request,
        "web/settings/profile.html",
        {"form": form, "profile": profile},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_time_zone(request):
    """The zone the studio reads and shows deadlines in; until one is saved, settings.TIME_ZONE
    (the page suggests the browser's own, static/web/time-zone.js)."""
    saved = Profile.objects.filter(user=request.user).values_list("time_zone", flat=True).first() or ""
    form = TimeZoneForm(request.POST or None, initial={"time_zone": user_time_zone(request.user)})
    if request.method == "POST" and form.is_valid():
        try:
            zone = profile_set_time_zone(user=request.user, time_zone=form.cleaned_data["time_zone"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Your time zone is saved: %(zone)s.") % {"zone": zone})
            return redirect("account-home")
    return render(
        request,
        "web/settings/time_zone.html",
        {"form": form, "saved": saved, "default_zone": settings.TIME_ZONE},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def account_email(request):
    form = EmailChangeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["email"]
        try:
            email_change_request(
                user=request.user,
                new_email=new_email,
                password=form.cleaned_data["password"],
                client=client_address(request),
            )
        except TooManyRequests as error:
            form.add_error(None, error.message)
            status = 429
        except DomainError as error:
            field = {"wrong_password": "password", "same_email": "email"}.get(error.code)
            form.add_error(field, error.message)
        else:
            messages.success(
                request,
                _(
                    "We sent a link to %(email)s: your address changes when you open it. "
                    "We told your current address too."
                )
                % {"email": new_email},
            )
            return redirect("account-home")
    if form.errors and status == 200:
        status = 400
    return render(request, "web/settings/email.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET"])
def account_email_confirm(request, token: str):
    """The link mailed to a new address: it works in any browser, signed in or not."""
    try:
        user = email_change_confirm(token=token)
    except DomainError as error:
        return render(request, "web/settings/email_failed.html", {"message": error.message}, status=400)
    messages.success(request, _("Your e-mail address is now %(email)s.") % {"email": user.email})
    return redirect("account-home" if request.user.is_authenticated else "login")


@never_cache
@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def account_password(request):
    form = AccountPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        user_password_changed(user=form.user)
        update_session_auth_hash(request, form.user)  # this session stays; every other one ends
        messages.success(
            request, _("Your password is changed. Your other sessions and all your API tokens are signed out.")
        )
        return redirect("account-home")
    return render(request, "web/settings/password.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_tokens(request):
    if request.method == "POST":
        if request.POST.get("action") == "revoke-all":
            revoked = tokens_revoke_all(user=request.user)
            messages.success(request, _("All your API tokens are revoked (%(count)d).") % {"count": revoked})
        else:
            token_id = request.POST.get("token", "")
            if not token_id.isdigit() or not token_revoke(user=request.user, token_id=int(token_id)):
                raise Http404("Not a token of yours.")
            messages.success(request, _("The token is revoked."))
        return redirect("account-tokens")
    return render(request, "web/settings/tokens.html", {"tokens": tokens_of(user=request.user)[:200]})


@never_cache
@login_required
def account_data(request):
    return render(request, "web/settings/data.html")


@never_cache
@login_required
def account_data_download(request):
    """Everything we hold about the user, as a JSON file to keep."""
    body = json.dumps(personal_data(request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"pledgeboard-data-{timezone.now():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def account_delete(request):
    form = DeleteAccountForm(request.POST or None)
    blockers = user_deletion_blockers(user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user_delete(user=request.user, password=form.cleaned_data["password"])
        except DomainError as error:
            if error.code == "wrong_password":
                form.add_error("password", error.message)
            else:
                blockers = user_deletion_blockers(user=request.user)
                form.add_error(None, error.message if not blockers else _("Your account cannot be deleted yet."))
        else:
            logout(request)
            messages.success(request, _("Your account is deleted. Thank you for having been with us."))
            return redirect("home")
    status = 400 if form.errors else 200
    return render(request, "web/settings/delete.html", {"form": form, "blockers": blockers}, status=status)
