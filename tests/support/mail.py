import email
import email.policy
from pathlib import Path


def messages_in(directory: Path) -> list[email.message.Message]:
    """Every message Django's file backend wrote under ``directory``."""
    messages = []
    for path in sorted(Path(directory).glob("*.log")):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.strip() + "\n", policy=email.policy.default))
    return messages
