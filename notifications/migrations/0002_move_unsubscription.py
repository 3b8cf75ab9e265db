"""Unsubscriptions moved to the accounts app (a user's e-mail opt-outs); the table stays."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0001_initial'),
        ('accounts', '0002_unsubscription'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is, with its rows; only Django's idea of its app changes.
            state_operations=[
                migrations.DeleteModel(
                    name='Unsubscription',
                ),
            ],
            database_operations=[],
        ),
    ]
