"""Profiles hold the username's key (NFKC, case-folded; unique), the display name, and when the
account was deleted. (Filled for every user by 0007: data and schema apart, since PostgreSQL
builds the key's index at the end of a migration and refuses while rows written in it wait
for their foreign-key checks.)"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_labels_in_the_readers_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="deleted at"),
        ),
        migrations.AddField(
            model_name="profile",
            name="display_name",
            field=models.CharField(blank=True, max_length=50, verbose_name="display name"),
        ),
        migrations.AddField(
            model_name="profile",
            name="username_key",
            field=models.CharField(blank=True, max_length=150, null=True, unique=True, verbose_name="username key"),
        ),
    ]
