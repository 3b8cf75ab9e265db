"""Unsubscriptions, moved here from the notifications app with their table and rows."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.moved_models import move_content_types


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ('accounts', '0001_initial'),
        ('campaigns', '0002_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is, with its rows; only Django's idea of its app changes.
            state_operations=[
                migrations.CreateModel(
                    name='Unsubscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='campaigns.campaign')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='unsubscriptions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'notifications_unsubscription',
                        'constraints': [models.UniqueConstraint(fields=('user', 'campaign'), name='one_unsubscription_per_campaign', nulls_distinct=False)],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            move_content_types('notifications', 'accounts', ('unsubscription',)), move_content_types('accounts', 'notifications', ('unsubscription',))
        ),
    ]
