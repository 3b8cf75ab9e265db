"""The change-card page's reusable SetupIntent, who started a hold, and two indexes.

The columns are blank strings (no table rewrite on PostgreSQL 11+). The indexes are built
CONCURRENTLY, so a large pledge table keeps taking pledges while they are built (hence a
non-atomic migration): ``payment_method_id`` (forget_card asks whether another pledge uses
a card) and lapsed holds whose SetupIntent is still open at the provider (a partial index:
the sweep that cancels them reads only those).
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("pledges", "0007_labels_in_the_readers_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="pledge",
            name="card_setup_intent_id",
            field=models.CharField(blank=True, max_length=255, verbose_name="change-card SetupIntent ID"),
        ),
        migrations.AddField(
            model_name="pledge",
            name="hold_client",
            field=models.CharField(blank=True, max_length=64, verbose_name="hold client"),
        ),
        AddIndexConcurrently(
            model_name="pledge",
            index=models.Index(fields=["payment_method_id"], name="pledge_payment_method_idx"),
        ),
        AddIndexConcurrently(
            model_name="pledge",
            index=models.Index(
                condition=models.Q(("end_reason", "expired"), ("state", "canceled"))
                & ~models.Q(("setup_client_secret", "")),
                fields=["ended_at"],
                name="pledge_lapsed_card_open_idx",
            ),
        ),
    ]
