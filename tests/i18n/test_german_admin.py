"""The admin speaks the staff member's language: Django's own words from its catalogue, the names
of our models, fields and states from ours."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Profile
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def german_admin(client):
    admin = get_user_model().objects.create_superuser("chef", "chef@example.com", "correct horse battery staple")
    Profile.objects.filter(user=admin).update(language="de")
    client.force_login(admin)
    return client


def test_the_admin_names_our_models_and_fields_in_german(german_admin):
    campaign = factories.LiveCampaignFactory(
        title="Das neue Album",
        goal=Decimal("100000.00"),
    )

    index = german_admin.get("/admin/").text
    listing = german_admin.get("/admin/campaigns/campaign/").text
    change = german_admin.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").text

    assert '<html lang="de"' in index
    for name in ("Kampagnen", "Unterstützungen", "Belohnungsstufen", "Kampagnen-Updates", "Exportaufträge"):
        assert name in index
    assert "Campaigns" not in index and "Reward tiers" not in index
    assert "Live" in listing and "Kampagnen" in listing
    for label in ("Titel", "Kurzname", "Initiator", "Währung", "Finanzierungsmodell"):
        assert f"{label}:" in change or f">{label}<" in change
    assert "Funding model" not in change and "Currency" not in change
