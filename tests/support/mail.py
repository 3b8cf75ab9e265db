import email
import email.policy
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from pledges.models import Pledge


def bulk_backers(campaign, count: int, prefix: str) -> list:
    """Many backers at once for the e-mail tests: rows only, since updates never touch the provider."""
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com") for i in range(count)]
    )
    now = timezone.now()
    Pledge.objects.bulk_create(
        [Pledge(backer=u, campaign=campaign, amount=10, state=Pledge.State.ACTIVE, activated_at=now) for u in users]
    )
    return users


def messages_in(directory: Path) -> list[email.message.Message]:
    """Every message Django's file backend wrote under ``directory``."""
    messages = []
    for path in sorted(Path(directory).glob("*.log")):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.strip() + "\n", policy=email.policy.default))
    return messages
