from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction

from accounts.models import Unsubscription
from accounts.tokens import token_issue
from core.errors import Conflict

User = get_user_model()


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> tuple[User, str]:
    """Create a user and their API token; the password must pass Django's validators."""
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("That username is taken.", code="username_taken")
    validate_password(password, user=User(username=username, email=email))
    user = User.objects.create_user(username=username, email=email, password=password)
    return user, token_issue(user=user)


def user_token(*, user: User) -> str:
    """A new API token for a user who gave their password (each login gets its own)."""
    return token_issue(user=user)


def unsubscribe(*, user_id: int, campaign_id: int | None) -> None:
    """Opt out of a campaign's updates (campaign_id) or of all platform notifications (None); idempotent."""
    try:
        with transaction.atomic():
            Unsubscription.objects.create(user_id=user_id, campaign_id=campaign_id)
    except IntegrityError:
        pass
