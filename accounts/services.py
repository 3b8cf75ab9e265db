from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from accounts.models import Unsubscription
from core.errors import Conflict

User = get_user_model()


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> tuple[User, str]:
    """Create a user and their API token; the password must pass Django's validators."""
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("That username is taken.", code="username_taken")
    validate_password(password, user=User(username=username, email=email))
    user = User.objects.create_user(username=username, email=email, password=password)
    token = Token.objects.create(user=user)
    return user, token.key


def user_token(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def unsubscribe(*, user_id: int, campaign_id: int | None) -> None:
    """Opt out of a campaign's updates (campaign_id) or of all platform notifications (None); idempotent."""
    try:
        with transaction.atomic():
            Unsubscription.objects.create(user_id=user_id, campaign_id=campaign_id)
    except IntegrityError:
        pass
