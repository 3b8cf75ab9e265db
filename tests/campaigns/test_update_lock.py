"""campaign_update decodes a new picture before it locks the campaign's row, so pledges to the
campaign never wait behind Pillow (issue 18, item 5.5: a 36-megapixel PNG took 1.6 s)."""

import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection, transaction
from PIL import Image

from campaigns import services
from campaigns.models import Campaign
from tests import factories


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), "teal").save(out, format="PNG")
    return SimpleUploadedFile("poster.png", out.getvalue(), content_type="image/png")


def _pledge_could_lock(campaign_id: int) -> bool:
    """From another connection, as a pledge does (campaign_lock), but without waiting."""
    outcome = []

    def attempt():
        try:
            with transaction.atomic():
                Campaign.objects.select_for_update(no_key=True, nowait=True).get(pk=campaign_id)
            outcome.append(True)
        except OperationalError:  # LockNotAvailable: the row is locked
            outcome.append(False)
        finally:
            connection.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=30)
    return outcome == [True]


@pytest.mark.django_db(transaction=True)
def test_a_pledge_can_lock_the_campaign_while_its_new_picture_is_decoded(monkeypatch):
    campaign = factories.LiveCampaignFactory()
    real_prepare = services.image_prepare
    seen = []

    def decoding(upload):
        seen.append(_pledge_could_lock(campaign.pk))
        return real_prepare(upload)

    monkeypatch.setattr(services, "image_prepare", decoding)

    services.campaign_update(campaign=campaign, title="A new title", image=_png())

    assert seen == [True]
    campaign.refresh_from_db()
    assert campaign.title == "A new title"
    assert campaign.image.name.startswith("campaigns/") and campaign.image.name.endswith(".jpg")


@pytest.mark.django_db(transaction=True)
def test_a_refused_update_keeps_no_picture_it_stored(monkeypatch):
    campaign = factories.LiveCampaignFactory()
    stored = []
    real_store = services._store_picture
    monkeypatch.setattr(services, "_store_picture", lambda picture: stored.append(real_store(picture)) or stored[-1])

    with pytest.raises(services.Conflict):
        services.campaign_update(campaign=campaign, goal=campaign.goal + 1, image=_png())  # goal is fixed once live

    storage = Campaign._meta.get_field("image").storage
    assert len(stored) == 1 and not storage.exists(stored[0])
    assert not Campaign.objects.get(pk=campaign.pk).image
