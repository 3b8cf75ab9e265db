"""rest_framework.authtoken is no longer installed (accounts.ApiToken replaced it in 0003,
which moved its tokens and emptied its table). Django leaves a removed app's tables behind:
this drops the empty one. Its rows in django_migrations and its content types stay, harmless
(``manage.py remove_stale_contenttypes`` clears the latter)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_api_token_password_fingerprint")]

    operations = [migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", migrations.RunSQL.noop)]
