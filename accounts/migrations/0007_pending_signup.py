"""Sign-ups wait in their own table until their address is confirmed, instead of as inactive
users that held the username and the address. Inactive users who never logged in and own
nothing move there (their old links stop working; a new one can be asked for)."""

import django.db.models.functions.text
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
        ("accounts", "0006_profile_username_key_and_display_name"),
        # Every model that points at a user is known, so deleting one cascades as it would today.
        ("campaigns", "0006_image_labels"),
        ("notifications", "0004_labels_in_the_readers_language"),
        ("pledges", "0007_labels_in_the_readers_language"),
        ("reports", "0004_options_with_export_permissions"),
        ("updates", "0003_labels_in_the_readers_language"),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingSignup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("username", models.CharField(max_length=150, verbose_name="username")),
                ("username_key", models.CharField(max_length=150, verbose_name="username key")),
                ("email", models.EmailField(max_length=254, verbose_name="e-mail address")),
                ("password", models.CharField(max_length=128, verbose_name="password")),
                ("language", models.CharField(blank=True, max_length=10, verbose_name="language")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("sent_at", models.DateTimeField(verbose_name="link sent at")),
            ],
            options={
                "verbose_name": "pending sign-up",
                "verbose_name_plural": "pending sign-ups",
                "indexes": [
                    models.Index(django.db.models.functions.text.Upper("email"), name="pendingsignup_email_upper"),
                    models.Index(fields=["username_key"], name="accounts_pe_usernam_95a1e9_idx"),
                    models.Index(fields=["sent_at"], name="accounts_pe_sent_at_92eeb2_idx"),
                ],
            },
        ),
        migrations.RunPython(move_unconfirmed_users, migrations.RunPython.noop),
    ]
