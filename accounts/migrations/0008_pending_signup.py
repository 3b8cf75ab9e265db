"""Sign-ups wait in their own table until their address is confirmed, instead of as inactive
users that held the username and the address (0009 moves those there)."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0007_every_user_has_a_profile"),
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
    ]
