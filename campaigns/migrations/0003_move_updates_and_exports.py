"""Creator updates moved to the updates app and export jobs to the reports app; their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0002_initial'),
        ('updates', '0001_initial'),
        ('reports', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is, with its rows; only Django's idea of its app changes.
            state_operations=[
                migrations.RemoveField(
                    model_name='updatedelivery',
                    name='update',
                ),
                migrations.RemoveField(
                    model_name='exportjob',
                    name='campaign',
                ),
                migrations.RemoveField(
                    model_name='exportjob',
                    name='requested_by',
                ),
                migrations.RemoveField(
                    model_name='updatedelivery',
                    name='recipient',
                ),
                migrations.DeleteModel(
                    name='CampaignUpdate',
                ),
                migrations.DeleteModel(
                    name='ExportJob',
                ),
                migrations.DeleteModel(
                    name='UpdateDelivery',
                ),
            ],
            database_operations=[],
        ),
    ]
