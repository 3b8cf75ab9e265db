"""Every user gets a Profile holding their username's key, however the user was made (sign-up,
the admin, createsuperuser, a test factory): the key's unique index is what keeps two accounts
from sharing a name that differs only by case or Unicode form. Connected in AccountsConfig.ready()."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Profile
from accounts.usernames import username_key


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts_profile_username_key")
def keep_username_key(sender, *, instance, created: bool, update_fields=None, raw: bool = False, **kwargs) -> None:
    if raw:  # loaddata: rows arrive as they are
        return
    key = username_key(instance.get_username())
    if created:
        # A user saved for the first time has no profile yet: one INSERT (get_or_create spent a
        # SELECT and a savepoint's three statements on every new user).
        Profile.objects.create(user=instance, username_key=key)
    elif update_fields is None or "username" in update_fields:
        # A deleted account's profile keeps no key: its name is free again.
        Profile.objects.filter(user=instance, deleted_at__isnull=True).exclude(username_key=key).update(
            username_key=key
        )
