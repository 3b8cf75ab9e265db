"""Every user gets a profile holding their username's key."""

import unicodedata

from django.db import migrations


def _key(username: str) -> str:
    # accounts.usernames.username_key, frozen here as it was written.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def give_every_user_a_profile_and_key(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Profile = apps.get_model("accounts", "Profile")
    taken = set(Profile.objects.exclude(username_key=None).values_list("username_key", flat=True))
    with_profile = set(Profile.objects.values_list("user_id", flat=True))
    new_profiles, keyed = [], []
    # Oldest first: where two old accounts share a key, the older keeps it (the other has none,
    # and its name is still guarded by the case-insensitive username check).
    for user_id, username in User.objects.order_by("pk").values_list("pk", "username").iterator(chunk_size=2000):
        key = _key(username)
        key = None if key in taken else key
        if key is not None:
            taken.add(key)
        if user_id in with_profile:
            keyed.append((user_id, key))
        else:
            new_profiles.append(Profile(user_id=user_id, username_key=key))
        if len(new_profiles) >= 2000:
            Profile.objects.bulk_create(new_profiles)
            new_profiles = []
    Profile.objects.bulk_create(new_profiles)
    for user_id, key in keyed:
        Profile.objects.filter(user_id=user_id).update(username_key=key)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_profile_username_key_and_display_name"),
    ]

    operations = [
        migrations.RunPython(give_every_user_a_profile_and_key, migrations.RunPython.noop),
    ]
