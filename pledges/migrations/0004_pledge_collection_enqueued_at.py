"""When a pledge's collection message was last sent, so the sweeper resends only lost ones.

The column is nullable (no table rewrite); the index is built CONCURRENTLY, so a large
pledge table keeps taking pledges while it is built (hence a non-atomic migration).
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("pledges", "0003_idempotency_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="pledge",
            name="collection_enqueued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        AddIndexConcurrently(
            model_name="pledge",
            index=models.Index(fields=["state", "collection_enqueued_at"], name="pledges_ple_state_76a305_idx"),
        ),
    ]
