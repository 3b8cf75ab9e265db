"""Two-factor sign-in pages: the code step of logging in, and its settings under /me/two-factor/.

Between the password and the code the user is not logged in: the session holds who gave the
right password (and their session hash, so a password changed meanwhile ends the step) for
CODE_STEP_SECONDS. Only a right code logs the session in, marked verified for django-otp.
"""

import time

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from accounts.mfa import (
    is_recovery_code_device,
    mfa_disable,
    mfa_enabled,
    mfa_enrolment_confirm,
    mfa_enrolment_start,
    mfa_recovery_codes_left,
    mfa_recovery_codes_renew,
    recovery_code_display,
    totp_secret,
)
from accounts.signin import signin_code
from core.clients import client_address
from core.errors import DomainError
from web.forms import CodeForm, DisableTwoFactorForm, EnrolmentForm

PENDING = "signin_code_step"
CODE_STEP_SECONDS = 10 * 60


def code_step_begin(request, user, *, next_url: str):
    """After the right password for an account with two-factor sign-in: on to the code page."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "hash": user.get_session_auth_hash(),
        "next": next_url,
        "until": time.time() + CODE_STEP_SECONDS,
    }
    return redirect("login-code")


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not pending or pending.get("until", 0) < time.time():
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or user.get_session_auth_hash() != pending["hash"]:
        return None, None
    return user, pending


def _safe(request, url: str) -> str:
    allowed = url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure())
    return url if allowed else ""


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_code(request):
    if request.user.is_authenticated:
        return redirect("my-pledges")
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING, None)
        messages.info(request, _("Log in again: the step for your code has expired."))
        return redirect("login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = signin_code(request=request, user=user, code=form.cleaned_data["code"])
        if result.signed_in:
            login(request, user, backend=pending["backend"])
            otp_login(request, result.device)
            request.session.pop(PENDING, None)
            if is_recovery_code_device(result.device):
                left = mfa_recovery_codes_left(user)
                messages.warning(
                    request,
                    _("You used a recovery code; %(count)d are left. Make new ones in your two-factor settings.")
                    % {"count": left},
                )
            return redirect(_safe(request, pending.get("next", "")) or "my-pledges")
        if result.refused:
            form.add_error(None, result.refused.message)
            status = 429
        else:
            form.add_error("code", _("That code is not right."))
    if form.errors and status == 200:
        status = 400
    response = render(request, "web/mfa/login_code.html", {"form": form}, status=status)
    if status == 429:
        response["Retry-After"] = str(result.refused.retry_after)
    return response


@login_required
@never_cache
def two_factor(request):
    """The settings page: on or off, recovery codes left, new codes, turn off."""
    return _settings_page(request)


def _recovery_codes_page(request, codes: list[str]):
    # The views are never_cache: no-store, so the codes stay out of every cache.
    return render(request, "web/mfa/recovery_codes.html", {"codes": [recovery_code_display(c) for c in codes]})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """The QR code and the secret as text; a first code from the app confirms; the recovery codes, once."""
    if mfa_enabled(request.user):
        return redirect("two-factor")
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = mfa_enrolment_confirm(user=request.user, code=form.cleaned_data["code"])
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            otp_login(request, device)  # this session has just shown the second factor
            messages.success(request, _("Two-factor sign-in is on."))
            return _recovery_codes_page(request, codes)
    device = mfa_enrolment_start(user=request.user)
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "secret": totp_secret(device),
        "qr": qr.svg_data_uri(scale=5, border=2, dark="#1a1a1a", light="#ffffff"),
        "qr_size": qr.symbol_size(scale=5, border=2)[0],
    }
    return render(request, "web/mfa/setup.html", context, status=400 if form.errors else 200)


@login_required
@never_cache
@sensitive_post_parameters("renew-code")
@require_POST
def two_factor_recovery_codes(request):
    form = CodeForm(request.POST, prefix="renew")
    if form.is_valid():
        try:
            codes = mfa_recovery_codes_renew(
                user=request.user, client=client_address(request), code=form.cleaned_data["code"]
            )
        except DomainError as error:
            form.add_error("code", error.message)
            return _settings_page(request, renew_form=form, status=error.status_code)
        return _recovery_codes_page(request, codes)
    return _settings_page(request, renew_form=form, status=400)


@login_required
@never_cache
@sensitive_post_parameters("disable-password", "disable-code")
@require_POST
def two_factor_disable(request):
    form = DisableTwoFactorForm(request.POST, prefix="disable")
    if form.is_valid():
        try:
            mfa_disable(
                user=request.user,
                client=client_address(request),
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return _settings_page(request, disable_form=form, status=error.status_code)
        messages.success(request, _("Two-factor sign-in is off."))
        return redirect("two-factor")
    return _settings_page(request, disable_form=form, status=400)


def _settings_page(request, *, renew_form=None, disable_form=None, status: int = 200):
    enabled = mfa_enabled(request.user)
    context = {
        "enabled": enabled,
        "codes_left": mfa_recovery_codes_left(request.user) if enabled else 0,
        "renew_form": renew_form or CodeForm(prefix="renew"),
        "disable_form": disable_form or DisableTwoFactorForm(prefix="disable"),
    }
    return render(request, "web/mfa/settings.html", context, status=status)
