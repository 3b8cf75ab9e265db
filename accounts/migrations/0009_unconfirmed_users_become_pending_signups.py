"""Inactive users who never logged in and own nothing were sign-ups waiting for their link: they
move to PendingSignup and stop holding their username and address. Their old links stop
working; a new one can be asked for with the address."""

from django.db import migrations, models
from django.utils import timezone


def move_unconfirmed_users(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Profile = apps.get_model("accounts", "Profile")
    PendingSignup = apps.get_model("accounts", "PendingSignup")
    ApiToken = apps.get_model("accounts", "ApiToken")
    Pledge = apps.get_model("pledges", "Pledge")
    Campaign = apps.get_model("campaigns", "Campaign")
    unconfirmed = (
        User.objects.filter(is_active=False, is_staff=False, last_login__isnull=True)
        .exclude(pk__in=ApiToken.objects.filter(last_used_at__isnull=False).values("user_id"))
        .exclude(pk__in=Pledge.objects.values("backer_id"))
        .exclude(pk__in=Campaign.objects.values("creator_id"))
    )
    now = timezone.now()
    for user in unconfirmed.iterator(chunk_size=500):
        profile = Profile.objects.filter(user_id=user.pk).first()
        PendingSignup.objects.create(
            username=user.username,
            username_key=(profile.username_key if profile and profile.username_key else user.username.casefold()),
            email=user.email,
            password=user.password,
            language=profile.language if profile else "",
            sent_at=now,
        )
        try:
            user.delete()  # its token, profile and opt-outs go with it
        except models.ProtectedError:  # something of it must stay: it stays an (inactive) user
            PendingSignup.objects.filter(username=user.username, email=user.email, sent_at=now).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0008_pending_signup"),
        # Every model that points at a user is known, so deleting one cascades as it would today.
        ("campaigns", "0006_image_labels"),
        ("notifications", "0004_labels_in_the_readers_language"),
        ("pledges", "0007_labels_in_the_readers_language"),
        ("reports", "0004_options_with_export_permissions"),
        ("updates", "0003_labels_in_the_readers_language"),
    ]

    operations = [
        migrations.RunPython(move_unconfirmed_users, migrations.RunPython.noop),
    ]
