"""Two-factor sign-in: an authenticator app (TOTP) and one-time recovery codes, on django-otp.

django-otp keeps the devices (``TOTPDevice``, ``StaticDevice`` with its ``StaticToken`` rows),
checks codes (a TOTP code is refused a second time: ``last_t``) and marks a session verified
(``django_otp.login``, read back by its ``OTPMiddleware``). django-allauth's MFA does the same
well, but only inside allauth's own login, sign-up and e-mail flows: adopting it would replace
every account page and the API's token flow we have; django-otp fits beside them.

Wrong codes are counted by ``accounts.login_limits`` per account and client like wrong
passwords; django-otp's own per-device throttle is off (``OTP_*_THROTTLE_FACTOR = 0``): it
would make one guesser delay the device for its owner too. Codes are checked with the device
rows locked (``select_for_update``), so two requests cannot both spend one recovery code.
"""

from base64 import b32encode

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.login_limits import login_attempt
from core.errors import Conflict, InvalidInput, NotAllowed
from core.links import absolute_url

RECOVERY_CODES = 10
# Longest code a form or the API takes: a TOTP code has 6 digits, a recovery code 8 letters and
# digits, both perhaps typed with spaces or a dash.
CODE_MAX_LENGTH = 32


def mfa_enabled(user: User) -> bool:
    """Whether the user signs in with a second factor (a confirmed authenticator app)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mfa_required_of_staff(user: User) -> bool:
    """Whether this staff member must set up two-factor sign-in before anything else."""
    return settings.MFA_REQUIRED_FOR_STAFF and (user.is_staff or user.is_superuser) and not mfa_enabled(user)


def enrolment_required_message() -> str:
    return _("Staff accounts need two-factor sign-in: set it up first at %(url)s") % {
        "url": absolute_url("two-factor-setup")
    }


def mfa_check_for_launch(*, creator: User) -> None:
    """MFA_REQUIRED_FOR_CREATORS: NotAllowed (``mfa_required``) unless the creator has two-factor sign-in."""
    if settings.MFA_REQUIRED_FOR_CREATORS and not mfa_enabled(creator):
        raise NotAllowed(
            _("Turn on two-factor sign-in before you launch a campaign: %(url)s") % {"url": absolute_url("two-factor")},
            code="mfa_required",
        )


def mfa_recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def is_recovery_code_device(device: Device) -> bool:
    return isinstance(device, StaticDevice)


def totp_secret(device: TOTPDevice) -> str:
    """The key as an authenticator app asks for it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def recovery_code_display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()[:CODE_MAX_LENGTH]


@transaction.atomic
def mfa_enrolment_start(*, user: User) -> TOTPDevice:
    """The authenticator app being set up: a new secret, or the one shown before and not yet confirmed."""
    if mfa_enabled(user):
        raise Conflict(_("Two-factor sign-in is on already."), code="mfa_enabled")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def mfa_enrolment_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Turn two-factor sign-in on with the first code the app shows; returns the device and the
    recovery codes, whose only appearance this is."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        if mfa_enabled(user):
            raise Conflict(_("Two-factor sign-in is on already."), code="mfa_enabled")
        raise Conflict(_("Start the set-up again: this page is out of date."), code="mfa_not_started")
    if not device.verify_token(_normalised(code)):
        raise InvalidInput(
            _("That code is not right. Check the time on your phone, then enter the code the app shows now."),
            code="otp_invalid",
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return device, _new_recovery_codes(user)


def mfa_enrol_unattended(*, user: User) -> TOTPDevice:
    """A confirmed authenticator app made without a code: for accounts that scripts create (the
    demo's data, tests), never for a request. The caller keeps the secret (``device.bin_key``)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def mfa_code_check(*, user: User, code: str) -> Device | None:
    """The device that accepts ``code``: the app's current code, or a recovery code, which is used
    up. None if neither. Not counted here: callers count the attempt (``login_attempt``)."""
    code = _normalised(code)
    if not code:
        return None
    devices = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    with transaction.atomic():
        for device in devices.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"):
            if device.verify_token(code):
                return device
    return None


def _confirm_it_is_them(*, user: User, client: str, code: str, password: str | None = None) -> None:
    """The password (if asked) and a code, counted like a sign-in; InvalidInput if either is wrong."""
    attempt = login_attempt(account=user, client=client)
    if attempt.refused:
        raise attempt.error()
    if password is not None and not user.check_password(password):
        raise InvalidInput(_("That password is not right."), code="invalid_password")
    if mfa_code_check(user=user, code=code) is None:
        raise InvalidInput(_("That code is not right."), code="otp_invalid")
    attempt.passed()


def mfa_recovery_codes_renew(*, user: User, client: str, code: str) -> list[str]:
    """New recovery codes for old ones (used up, or shown where they should not have been): a
    current code first, from the app or one of the old recovery codes."""
    if not mfa_enabled(user):
        raise Conflict(_("Two-factor sign-in is off."), code="mfa_disabled")
    _confirm_it_is_them(user=user, client=client, code=code)
    with transaction.atomic():
        return _new_recovery_codes(user)


@transaction.atomic
def mfa_disable(*, user: User, client: str, password: str, code: str) -> None:
    """Turn two-factor sign-in off: the password and a code (app or recovery code), then every device goes."""
    if not mfa_enabled(user):
        raise Conflict(_("Two-factor sign-in is off."), code="mfa_disabled")
    _confirm_it_is_them(user=user, client=client, code=code, password=password)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
