"""The e-mails about an account itself: sign-up links, notes to an address's owner, e-mail changes.

They are sent at once, in the request that asks for them (after its transaction committed),
each in the language of the person it is for. Whichever way a request goes (a new address or
one that has an account), it sends exactly one e-mail, so neither its answer nor its duration
tells whether the address is in use. A backend that refuses is a ServiceUnavailable: nothing
was promised that did not happen.
"""

import logging
import secrets

from django.conf import settings
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.selectors import supported_language, user_language
from core.errors import ServiceUnavailable
from core.links import absolute_url
from core.mail import build_email, render_email

log = logging.getLogger(__name__)


def _send(*, to: str, template: str, context: dict, language: str | None) -> None:
    subject, text, html = render_email(template, context, unsubscribe=None, language=language)
    message = build_email(
        to=to, subject=subject, text=text, html=html, message_id=f"{template}-{secrets.token_hex(12)}"
    )
    try:
        message.send()
    except Exception as error:  # whatever the backend raised: the person must hear it did not go
        log.exception("account e-mail %s to a user could not be sent", template)
        raise ServiceUnavailable(
            _("We could not send the e-mail just now. Please try again in a few minutes."), code="mail_unavailable"
        ) from error


def _days(seconds: int) -> int:
    return max(1, seconds // 86400)


def send_signup_link(*, to: str, name: str, token: str, language: str | None, next_url: str = "") -> None:
    link = absolute_url("verify-email", token)
    if next_url:
        link += "?" + urlencode({"next": next_url})
    context = {"name": name, "verify_url": link, "days": _days(settings.EMAIL_VERIFICATION_MAX_AGE)}
    _send(to=to, template="verify_email", context=context, language=supported_language(language))


def send_signup_note_to_owner(*, owner, language: str | None) -> None:
    """Someone signed up with an address that has an account: its owner hears, nobody else learns it."""
    context = {
        "name": owner.get_username(),
        "login_url": absolute_url("login"),
        "reset_url": absolute_url("password-reset"),
    }
    _send(to=owner.email, template="signup_existing", context=context, language=user_language(owner))


def send_no_signup_waiting(*, to: str, language: str | None) -> None:
    """A link was asked for again, but no sign-up waits for this address."""
    context = {
        "login_url": absolute_url("login"),
        "reset_url": absolute_url("password-reset"),
        "register_url": absolute_url("register-page"),
    }
    _send(to=to, template="signup_nothing_waiting", context=context, language=supported_language(language))


def send_no_account_for_reset(*, to: str, language: str | None) -> None:
    """A password reset was asked for an address no active account uses."""
    context = {"register_url": absolute_url("register-page")}
    _send(to=to, template="password_reset_unknown", context=context, language=supported_language(language))


def send_email_change_link(*, user, new_email: str, token: str) -> None:
    context = {
        "name": user.get_username(),
        "new_email": new_email,
        "confirm_url": absolute_url("account-email-confirm", token),
        "days": _days(settings.EMAIL_VERIFICATION_MAX_AGE),
    }
    _send(to=new_email, template="email_change", context=context, language=user_language(user))


def send_email_change_refused(*, user, new_email: str) -> None:
    """Sent to the new address instead of a link when another account uses it already."""
    context = {"login_url": absolute_url("login"), "reset_url": absolute_url("password-reset")}
    _send(to=new_email, template="email_change_taken", context=context, language=user_language(user))


def send_email_change_notice(*, user, new_email: str) -> None:
    """The old address hears that a change to ``new_email`` was asked for."""
    context = {
        "name": user.get_username(),
        "old_email": user.email,
        "new_email": new_email,
        "password_url": absolute_url("account-password"),
        "reset_url": absolute_url("password-reset"),
    }
    _send(to=user.email, template="email_change_notice", context=context, language=user_language(user))
