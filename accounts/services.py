"""Accounts: sign-up with a confirmed address, settings (name, e-mail, password), tokens, deletion.

Sign-up (web and API alike) stores a PendingSignup and mails a link; the account is made only
when the link is opened (``signup_confirm``). Until then the sign-up holds nothing: another
sign-up with the same address or username may go ahead, and the first to confirm wins. An
address is claimed by a confirmed account only, under a lock on the address, so two
confirmations never give it to two accounts.

Neither sign-up nor a password reset tells whether an address has an account: both answer
the same and send exactly one e-mail either way (a note to the existing owner instead of a
link). A username's being taken is said, since usernames are public (a campaign names its
creator).
"""

import zoneinfo
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from accounts import mails
from accounts.mail_limits import account_mail_check
from accounts.models import PendingSignup, Profile, Unsubscription
from accounts.selectors import email_owner, pending_signup_for, supported_language, username_taken
from accounts.signals import account_deletion_blockers, account_erasing
from accounts.tokens import password_fingerprint, token_issue, tokens_revoke_all
from accounts.usernames import DELETED_PREFIX, check_username, username_key
from core.errors import Conflict, InvalidInput
from core.images import image_prepare
from core.locks import ACCOUNT_EMAIL, transaction_lock_on_text
from core.text import invisible_character

SIGNUP_SALT = "pledgeboard.accounts.confirm-signup"
EMAIL_CHANGE_SALT = "pledgeboard.accounts.change-email"
DISPLAY_NAME_MAX = 50


def _read_signed(token: str, *, salt: str) -> dict[str, Any]:
    try:
        data = signing.loads(token, salt=salt, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as error:
        raise InvalidInput(_("This link has expired; ask for a new one."), code="token_expired") from error
    except signing.BadSignature as error:
        raise InvalidInput(_("This link is not valid."), code="invalid_token") from error
    if not isinstance(data, dict):
        raise InvalidInput(_("This link is not valid."), code="invalid_token")
    return data


def _lock_address(email: str) -> None:
    transaction_lock_on_text(ACCOUNT_EMAIL, email.strip().casefold())


# --- sign-up ------------------------------------------------------------------------------------


def signup_request(
    *, username: str, email: str, password: str, client: str, language: str | None = None, next_url: str = ""
) -> str:
    """Ask for an account: checks the username and password, then mails a confirmation link to
    the address, or, when an account has it already, a note to that account's owner. Either way
    the answer is the same; the username as it will be stored is returned.

    Raises InvalidInput (a username not allowed), Conflict (``username_taken``), Django's
    ValidationError (the password validators) and TooManyRequests (mail limits).
    """
    name = check_username(username)
    if username_taken(name):
        raise Conflict(_("That username is taken."), code="username_taken")
    validate_password(password, user=User(username=name, email=email))
    account_mail_check(address=email, client=client)
    password_hash = make_password(password)  # whichever way it goes: the same work, the same time
    owner = email_owner(email)
    if owner is not None:
        mails.send_signup_note_to_owner(owner=owner, language=language)
        return name
    pending = PendingSignup.objects.create(
        username=name,
        username_key=username_key(name),
        email=email,
        password=password_hash,
        language=supported_language(language) or "",
        sent_at=timezone.now(),
    )
    mails.send_signup_link(
        to=email, name=name, token=signup_token(pending=pending), language=pending.language, next_url=next_url
    )
    return name


def signup_token(*, pending: PendingSignup) -> str:
    """The signed link token of a pending sign-up; it expires with EMAIL_VERIFICATION_MAX_AGE."""
    return signing.dumps({"s": pending.pk}, salt=SIGNUP_SALT, compress=True)


def signup_confirm(*, token: str) -> User:
    """Open the account of the sign-up the token names: the address is proved. Raises InvalidInput
    for a forged, expired or used link and Conflict when the address or the username was claimed
    by an account meanwhile (the sign-up is then dropped: it can never succeed)."""
    pending_id = _read_signed(token, salt=SIGNUP_SALT).get("s")
    if not isinstance(pending_id, int):
        raise InvalidInput(_("This link is not valid."), code="invalid_token")
    try:
        return _signup_open_account(pending_id)
    except Conflict:
        PendingSignup.objects.filter(pk=pending_id).delete()
        raise


@transaction.atomic
def _signup_open_account(pending_id: int) -> User:
    # The address first, then the row: a confirmation of another sign-up for the same address
    # deletes this row while holding the address, so taking them the other way round deadlocks.
    email = PendingSignup.objects.filter(pk=pending_id).values_list("email", flat=True).first()
    if email is not None:
        _lock_address(email)
    pending = PendingSignup.objects.select_for_update().filter(pk=pending_id).first()
    if pending is None:
        raise InvalidInput(
            _("This link was used already or is no longer valid. Log in, or sign up again."), code="invalid_token"
        )
    if email_owner(pending.email) is not None:
        raise Conflict(
            _("This address belongs to an account already: log in, or reset its password."), code="email_taken"
        )
    if username_taken(pending.username):
        raise Conflict(
            _("Someone else took this username meanwhile: please sign up again with another."),
            code="username_taken",
        )
    user = User(username=pending.username, email=pending.email, password=pending.password, is_active=True)
    try:
        with transaction.atomic():
            user.save()  # accounts.receivers gives it a Profile with its username key (unique)
    except IntegrityError as error:  # the same username confirmed at the same moment
        raise Conflict(
            _("Someone else took this username meanwhile: please sign up again with another."),
            code="username_taken",
        ) from error
    Profile.objects.filter(user=user).update(language=pending.language)
    PendingSignup.objects.filter(email__iexact=pending.email).delete()
    return user


def signup_resend(*, login: str, client: str, language: str | None = None) -> None:
    """Send the link of the sign-up waiting for this username or address again. An address with
    none waiting gets a note saying so; the answer is the same either way."""
    account_mail_check(address=login, client=client)
    pending = pending_signup_for(login=login)
    if pending is not None:
        pending.sent_at = timezone.now()
        pending.save(update_fields=["sent_at"])
        mails.send_signup_link(
            to=pending.email, name=pending.username, token=signup_token(pending=pending), language=pending.language
        )
        return
    try:
        validate_email(login)
    except ValidationError:
        return  # a username with no sign-up waiting: there is no one to write to
    mails.send_no_signup_waiting(to=login, language=language)


def user_awaiting_verification(*, login: str) -> PendingSignup | None:
    """The sign-up waiting for confirmation that a username or address names, if any: it has the
    ``email`` and ``check_password`` a login page needs to say "confirm your address first"."""
    return pending_signup_for(login=login)


def signups_forget_stale(*, now: datetime | None = None) -> int:
    """Sign-ups whose last link expired are forgotten."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.EMAIL_VERIFICATION_MAX_AGE)
    deleted, _ = PendingSignup.objects.filter(sent_at__lt=cutoff).delete()
    return deleted


# --- the signed-in user's settings --------------------------------------------------------------


def user_set_language(*, user: User, language: str) -> str:
    """Save the language a user reads the site and their e-mails in; the code saved."""
    code = supported_language(language)
    if code is None:
        raise InvalidInput(_("This language is not offered."), code="invalid_language")
    Profile.objects.update_or_create(user=user, defaults={"language": code})
    return code


def profile_set_display_name(*, user: User, display_name: str) -> str:
    """The name others see (empty: the username); spaces collapsed, nothing invisible. The name saved."""
    name = " ".join(display_name.split())
    if len(name) > DISPLAY_NAME_MAX:
        raise InvalidInput(
            _("A display name has at most %(max)d characters.") % {"max": DISPLAY_NAME_MAX},
            code="invalid_display_name",
        )
    char = invisible_character(name)
    if char is not None:
        raise InvalidInput(
            _("The display name contains an invisible or control character (U+%(code)04X).") % {"code": ord(char)},
            code="invalid_display_name",
        )
    Profile.objects.update_or_create(user=user, defaults={"display_name": name})
    return name


AVATAR_SIDE = 400


def _avatar_store(upload: Any) -> str:
    """Check and re-encode an avatar (core.images), store it; the name stored."""
    picture = image_prepare(upload, max_side=AVATAR_SIDE)
    field = Profile._meta.get_field("avatar")
    name = field.generate_filename(None, cast(str, picture.name))  # type: ignore[arg-type]  # upload_to is a string
    return field.storage.save(name, picture)


def _check_line(value: str, *, limit: int, code: str, label: str) -> str:
    line = " ".join(value.split())
    if len(line) > limit:
        raise InvalidInput(
            _("%(field)s has at most %(max)d characters.") % {"field": label, "max": limit}, code=f"invalid_{code}"
        )
    char = invisible_character(line)
    if char is not None:
        raise InvalidInput(
            _("%(field)s contains an invisible or control character (U+%(code)04X).")
            % {"field": label, "code": ord(char)},
            code=f"invalid_{code}",
        )
    return line


def _check_website(website: str) -> str:
    link = website.strip()
    if not link:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        raise InvalidInput(
            _("Enter a web address starting with https:// or http://."), code="invalid_website"
        ) from None
    if len(link) > 200:
        raise InvalidInput(_("The web address is too long."), code="invalid_website")
    return link


def profile_update(
    *,
    user: User,
    bio: str | None = None,
    website: str | None = None,
    location: str | None = None,
    avatar: Any = None,
    remove_avatar: bool = False,
    display_name: str | None = None,
) -> Profile:
    """The public profile's words and picture; None leaves a field as it is. The avatar is
    decoded and re-encoded before the transaction; a refused change deletes what it stored,
    a replaced picture goes once the change is committed."""
    changes: dict[str, Any] = {}
    if bio is not None:
        bio = bio.strip().replace("\x00", "")
        if len(bio) > Profile.BIO_MAX_LENGTH:
            raise InvalidInput(
                _("A bio has at most %(max)d characters.") % {"max": Profile.BIO_MAX_LENGTH}, code="invalid_bio"
            )
        changes["bio"] = bio
    if website is not None:
        changes["website"] = _check_website(website)
    if location is not None:
        changes["location"] = _check_line(
            location, limit=Profile.LOCATION_MAX_LENGTH, code="location", label=_("The location")
        )
    stored = _avatar_store(avatar) if avatar is not None else None
    storage = Profile._meta.get_field("avatar").storage
    try:
        with transaction.atomic():
            if display_name is not None:
                profile_set_display_name(user=user, display_name=display_name)
            profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
            old = profile.avatar.name
            if stored is not None or remove_avatar:
                changes["avatar"] = stored or ""
                if old:
                    transaction.on_commit(lambda: storage.delete(old))
            for name, value in changes.items():
                setattr(profile, name, value)
            profile.save()
    except Exception:
        if stored is not None:
            storage.delete(stored)
        raise
    return profile


def user_password_changed(*, user: User) -> None:
    """After a new password was set (settings page or reset link): every API token of the user
    dies. Sessions follow Django's auth hash: all but the one that made the change (the view keeps
    it with update_session_auth_hash) are logged out."""
    tokens_revoke_all(user=user)


def email_change_request(*, user: User, new_email: str, password: str, client: str) -> None:
    """Mail a confirmation link to the new address (the change waits for it) and tell the old one.
    If another account uses the new address, its owner gets a note instead of a link: the
    answer here is the same, so the page tells nobody that the address is in use."""
    if not user.check_password(password):
        raise InvalidInput(_("Your password is not right."), code="wrong_password")
    if new_email.strip().casefold() == (user.email or "").casefold():
        raise InvalidInput(_("This is your address already."), code="same_email")
    account_mail_check(address=new_email, client=client)
    owner = email_owner(new_email)
    if owner is not None:
        mails.send_email_change_refused(user=user, new_email=new_email)
    else:
        token = signing.dumps(
            {"u": user.pk, "old": user.email, "new": new_email, "f": password_fingerprint(user)},
            salt=EMAIL_CHANGE_SALT,
            compress=True,
        )
        mails.send_email_change_link(user=user, new_email=new_email, token=token)
    if user.email:
        mails.send_email_change_notice(user=user, new_email=new_email)


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    """Give the account the new address the token was mailed to. The link dies when the address
    or the password changed since it was sent (a password change is how a wary owner stops a
    change they did not ask for)."""
    data = _read_signed(token, salt=EMAIL_CHANGE_SALT)
    user_id: Any = data.get("u")
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    new_email = data.get("new")
    if (
        user is None
        or not isinstance(new_email, str)
        or user.email != data.get("old")
        or not constant_time_compare(str(data.get("f", "")), password_fingerprint(user))
    ):
        raise InvalidInput(_("This link is no longer valid."), code="invalid_token")
    _lock_address(new_email)
    owner = email_owner(new_email)
    if owner is not None and owner.pk != user.pk:
        raise Conflict(_("Another account uses this address now."), code="email_taken")
    user.email = new_email
    user.save(update_fields=["email"])
    PendingSignup.objects.filter(email__iexact=new_email).delete()
    return user


# --- API tokens -----------------------------------------------------------------------------------


def user_token(*, user: User) -> str:
    """A new API token for a user who gave their password (each login gets its own)."""
    return token_issue(user=user)


# --- e-mail opt-outs ------------------------------------------------------------------------------


def unsubscribe(*, user_id: int, campaign_id: int | None) -> None:
    """Opt out of a campaign's updates (campaign_id) or of all platform notifications (None); idempotent."""
    try:
        with transaction.atomic():
            Unsubscription.objects.create(user_id=user_id, campaign_id=campaign_id)
    except IntegrityError:
        pass


def resubscribe(*, user_id: int, campaign_id: int | None) -> None:
    """Undo ``unsubscribe``: hear again from a campaign (campaign_id) or the platform (None)."""
    # None is the platform's own row (IS NULL); the stubs take no None in a lookup.
    Unsubscription.objects.filter(user_id=user_id, campaign_id=campaign_id).delete()  # type: ignore[misc]


# --- deleting an account --------------------------------------------------------------------------


def user_deletion_blockers(*, user: User) -> list[str]:
    """Why the account cannot be deleted yet, in words for its owner (empty: it can be). The
    apps above connect to accounts.signals.account_deletion_blockers (a live campaign, open
    pledges, an unpaid payout...)."""
    reasons: list[str] = []
    for _receiver, response in account_deletion_blockers.send(sender=User, user=user):
        reasons.extend(response or ())
    return reasons


@transaction.atomic
def user_delete(*, user: User, password: str) -> None:
    """Delete an account at its owner's request: personal data is erased at once, the records the
    law keeps (pledges, charges, refunds) stay, tied to a row with no name, address or password.

    The user row stays (pledges and campaigns point at it) as ``~deleted-<id>``, inactive, its
    address empty and its password unusable; its username and address are free again. API
    tokens, opt-outs and waiting sign-ups for the address go; the apps above erase their own
    data through accounts.signals.account_erasing, in this transaction.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(password):
        raise InvalidInput(_("Your password is not right."), code="wrong_password")
    reasons = user_deletion_blockers(user=user)
    if reasons:
        raise Conflict(" ".join(reasons), code="account_in_use")
    account_erasing.send(sender=User, user=user)
    tokens_revoke_all(user=user)
    Unsubscription.objects.filter(user=user).delete()
    if user.email:
        PendingSignup.objects.filter(email__iexact=user.email).delete()
    avatar = Profile.objects.filter(user=user).values_list("avatar", flat=True).first()
    if avatar:
        storage = Profile._meta.get_field("avatar").storage
        transaction.on_commit(lambda: storage.delete(avatar))
    Profile.objects.update_or_create(
        user=user,
        defaults={
            "display_name": "",
            "language": "",
            "time_zone": "",
            "username_key": None,
            "deleted_at": timezone.now(),
            # The public profile goes with the rest of the personal data.
            "avatar": "",
            "bio": "",
            "website": "",
            "location": "",
        },
    )
    user.username = f"{DELETED_PREFIX}{user.pk}"
    user.email = user.first_name = user.last_name = ""
    user.set_unusable_password()  # and so every session's auth hash is stale
    user.is_active = user.is_staff = user.is_superuser = False
    user.last_login = None
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


def profile_set_time_zone(*, user: User, time_zone: str) -> str:
    """The zone the user types and reads times in (an IANA name such as "Europe/Berlin"); the zone saved."""
    if time_zone not in available_time_zones():
        raise InvalidInput(_("Unknown time zone."), code="invalid_time_zone")
    Profile.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    return time_zone


@cache
def available_time_zones() -> frozenset[str]:
    """The IANA zones this machine knows (the tzdata package), without the legacy aliases."""
    return frozenset(zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC") - {
        "Factory",
        "localtime",
    }
