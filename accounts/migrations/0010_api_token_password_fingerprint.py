"""API tokens remember a fingerprint of their holder's password (accounts.tokens): a new
password makes them invalid. Tokens issued before get the fingerprint of today's password."""

from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac

FINGERPRINT_SALT = "pledgeboard.accounts.tokens.password"  # accounts.tokens, frozen here


def fingerprint_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    tokens = ApiToken.objects.select_related("user").order_by("pk")
    batch = []
    for token in tokens.iterator(chunk_size=2000):
        token.password_fingerprint = salted_hmac(
            FINGERPRINT_SALT, token.user.password, secret=settings.SECRET_KEY, algorithm="sha256"
        ).hexdigest()
        batch.append(token)
        if len(batch) >= 2000:
            ApiToken.objects.bulk_update(batch, ["password_fingerprint"])
            batch = []
    ApiToken.objects.bulk_update(batch, ["password_fingerprint"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0009_unconfirmed_users_become_pending_signups"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="password_fingerprint",
            field=models.CharField(default="", max_length=64, verbose_name="password fingerprint"),
        ),
        migrations.RunPython(fingerprint_existing_tokens, migrations.RunPython.noop),
    ]
