from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Profile, Unsubscription
from accounts.selectors import supported_language
from accounts.tokens import token_issue
from core.errors import Conflict, InvalidInput

User = get_user_model()

VERIFICATION_SALT = "pledgeboard.accounts.verify-email"


@transaction.atomic
def user_register(
    *, username: str, email: str, password: str, verified: bool = True, language: str | None = None
) -> tuple[User, str]:
    """Create a user and their API token; the password must pass Django's validators.

    ``language`` (the one the sign-up page was read in) becomes the language of their pages and
    e-mails; one the site does not serve is ignored.

    Usernames and e-mail addresses are unique, ignoring case. ``verified=False`` (the web's
    sign-up) creates the account inactive: it cannot log in until the link sent to the
    address is opened (``user_verify_email``).
    """
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(_("That username is taken."), code="username_taken")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(_("An account with this e-mail address exists already."), code="email_taken")
    validate_password(password, user=User(username=username, email=email))
    user = User.objects.create_user(username=username, email=email, password=password, is_active=verified)
    if supported_language(language):
        Profile.objects.create(user=user, language=supported_language(language))
    return user, token_issue(user=user)


def user_set_language(*, user: User, language: str) -> str:
    """Save the language a user reads the site and their e-mails in; the code saved."""
    code = supported_language(language)
    if code is None:
        raise InvalidInput(_("This language is not offered."), code="invalid_language")
    Profile.objects.update_or_create(user=user, defaults={"language": code})
    return code


def email_verification_token(*, user: User) -> str:
    """A signed, expiring token naming the user and the address it was sent to."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFICATION_SALT, compress=True)


@transaction.atomic
def user_verify_email(*, token: str) -> User:
    """Open the account the token was made for; a second use is harmless. Raises InvalidInput
    for a token that is forged, expired, or made for an address the account no longer has."""
    try:
        data = signing.loads(token, salt=VERIFICATION_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as error:
        raise InvalidInput(_("This link has expired; ask for a new one."), code="token_expired") from error
    except signing.BadSignature as error:
        raise InvalidInput(_("This link is not valid."), code="invalid_token") from error
    user = User.objects.select_for_update().filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        raise InvalidInput(_("This link is not valid."), code="invalid_token")
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def user_token(*, user: User) -> str:
    """A new API token for a user who gave their password (each login gets its own)."""
    return token_issue(user=user)


def user_awaiting_verification(*, login: str) -> User | None:
    """The unverified account a username or e-mail address names, if any (to send its link again)."""
    field = "email__iexact" if "@" in login else "username__iexact"
    return User.objects.filter(**{field: login}, is_active=False, last_login__isnull=True).first()


def unsubscribe(*, user_id: int, campaign_id: int | None) -> None:
    """Opt out of a campaign's updates (campaign_id) or of all platform notifications (None); idempotent."""
    try:
        with transaction.atomic():
            Unsubscription.objects.create(user_id=user_id, campaign_id=campaign_id)
    except IntegrityError:
        pass


def resubscribe(*, user_id: int, campaign_id: int | None) -> None:
    """Undo ``unsubscribe``: hear again from a campaign (campaign_id) or the platform (None)."""
    Unsubscription.objects.filter(user_id=user_id, campaign_id=campaign_id).delete()
