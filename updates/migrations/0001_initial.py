"""Creator updates and their deliveries, moved here from the campaigns app with their tables and rows."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.moved_models import move_content_types


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ('campaigns', '0002_initial'),
        ('rewards', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is, with its rows; only Django's idea of its app changes.
            state_operations=[
                migrations.CreateModel(
                    name='CampaignUpdate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField()),
                        ('title', models.CharField(max_length=200)),
                        ('body', models.TextField(help_text='Markdown; rendered and sanitized for the web and e-mail.')),
                        ('audience', models.CharField(choices=[('public', 'Public'), ('backers', 'Backers'), ('tiers', 'Tiers')], default='public', max_length=10)),
                        ('published_at', models.DateTimeField()),
                        ('edited_at', models.DateTimeField(blank=True, null=True)),
                        ('fanout_finished_at', models.DateTimeField(blank=True, null=True)),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='updates', to='campaigns.campaign')),
                        ('tiers', models.ManyToManyField(blank=True, db_table='campaigns_campaignupdate_tiers', related_name='+', to='rewards.rewardtier')),
                    ],
                    options={
                        'db_table': 'campaigns_campaignupdate',
                        'ordering': ['-published_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='UpdateDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('update', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='updates.campaignupdate')),
                    ],
                    options={
                        'db_table': 'campaigns_updatedelivery',
                    },
                ),
                migrations.AddConstraint(
                    model_name='campaignupdate',
                    constraint=models.UniqueConstraint(fields=('campaign', 'number'), name='update_number_per_campaign'),
                ),
                migrations.AddIndex(
                    model_name='updatedelivery',
                    index=models.Index(condition=models.Q(('sent_at__isnull', True)), fields=['update', 'id'], name='delivery_unsent'),
                ),
                migrations.AddConstraint(
                    model_name='updatedelivery',
                    constraint=models.UniqueConstraint(fields=('update', 'recipient'), name='one_delivery_per_recipient'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            move_content_types('campaigns', 'updates', ('campaignupdate', 'updatedelivery')), move_content_types('updates', 'campaigns', ('campaignupdate', 'updatedelivery'))
        ),
    ]
