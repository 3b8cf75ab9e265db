"""Run by test_database_restart.py in a process of its own, against a PostgreSQL of its own:
a funded campaign past its deadline with PLEDGES pledges (real cards at the provider).
Prints the campaign id."""

import sys
from datetime import timedelta
from decimal import Decimal

import django

django.setup()

from django.conf import settings  # noqa: E402

# As in the test process (tests/conftest.py): PBKDF2 costs ~0.5 s of CPU per backer, and these
# backers never sign in.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

from django.utils import timezone  # noqa: E402

from campaigns.models import Campaign  # noqa: E402
from tests import factories  # noqa: E402

campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
for _ in range(int(sys.argv[1])):
    factories.PledgeFactory(campaign=campaign, amount="12.00")
Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now() - timedelta(seconds=1))
print(campaign.pk)
