"""A database made by the migrations of the old layout (updates and exports in `campaigns`,
unsubscriptions in `notifications`) upgrades in place: rows, links and permissions move
with their models, and no model change is left without its migration."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import Unsubscription
from reports.models import ExportJob
from tests.support.migrations import a_database_of_its_own, migrate, migrate_to_latest
from updates.models import CampaignUpdate, UpdateDelivery

BEFORE_THE_MOVE = [
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("accounts", "0001_initial"),
    ("campaigns", "0002_initial"),
    ("notifications", "0001_initial"),
    ("updates", None),
    ("reports", None),
]


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_old_layout_upgrades_in_place():
    with a_database_of_its_own():
        old = migrate(BEFORE_THE_MOVE)
        now = timezone.now()
        user = old.get_model("auth", "User").objects.create(username="maya", email="maya@example.com")
        backer = old.get_model("auth", "User").objects.create(username="ben", email="ben@example.com")
        campaign = old.get_model("campaigns", "Campaign").objects.create(
            creator=user,
            title="Field Notebook",
            slug="field-notebook",
            goal=Decimal("500.00"),
            currency="USD",
            state="live",
            deadline=now + timedelta(days=10),
            launched_at=now,
        )
        tier = old.get_model("rewards", "RewardTier").objects.create(
            campaign=campaign, title="Notebook", minimum=Decimal("25.00")
        )
        update = old.get_model("campaigns", "CampaignUpdate").objects.create(
            campaign=campaign,
            author=user,
            number=1,
            title="Printing",
            body="**Soon**",
            audience="tiers",
            published_at=now,
        )
        update.tiers.add(tier)
        old.get_model("campaigns", "UpdateDelivery").objects.create(update=update, recipient=backer, sent_at=now)
        job = old.get_model("campaigns", "ExportJob").objects.create(
            requested_by=user, kind="backers", campaign=campaign, rows_total=7, state="done"
        )
        old.get_model("notifications", "Unsubscription").objects.create(user=backer, campaign=campaign)
        old.get_model("notifications", "Unsubscription").objects.create(user=user, campaign=None)
        # The content type the old layout's admin and permissions hang on.
        old_types = old.get_model("contenttypes", "ContentType").objects
        old_type, _ = old_types.get_or_create(app_label="campaigns", model="exportjob")
        old_types.filter(app_label="reports", model="exportjob").delete()
        old.get_model("auth", "Permission").objects.get_or_create(
            content_type=old_type, codename="delete_exportjob", defaults={"name": "Can delete export job"}
        )

        migrate_to_latest()
        ContentType.objects.clear_cache()

        moved = CampaignUpdate.objects.get(pk=update.pk)
        assert (moved.campaign_id, moved.title, moved.audience) == (campaign.pk, "Printing", "tiers")
        assert list(moved.tiers.values_list("pk", flat=True)) == [tier.pk]
        assert list(UpdateDelivery.objects.filter(update=moved).values_list("recipient_id", flat=True)) == [backer.pk]
        assert ExportJob.objects.get(pk=job.pk).rows_total == 7
        assert set(Unsubscription.objects.values_list("user_id", "campaign_id")) == {
            (backer.pk, campaign.pk),
            (user.pk, None),
        }
        # Same content type row, now labelled with the new app, its permission with it.
        assert ContentType.objects.get_for_model(ExportJob).pk == old_type.pk
        assert Permission.objects.get(content_type_id=old_type.pk, codename="delete_exportjob")
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_plain_text_api_tokens_of_before_keep_working_stored_hashed():
    """rest_framework.authtoken is no longer installed: its table, as a database of before has
    it, is made here by hand; the migrations move its tokens and drop it."""
    from rest_framework.test import APIClient

    from accounts.models import ApiToken
    from accounts.tokens import token_hash

    with a_database_of_its_own():
        old = migrate(
            [
                ("contenttypes", "0002_remove_content_type_name"),
                ("auth", "0012_alter_user_first_name_max_length"),
                ("accounts", "0002_unsubscription"),
            ]
        )
        user = old.get_model("auth", "User").objects.create(username="maya", email="maya@example.com")
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL,"
                " user_id integer NOT NULL UNIQUE REFERENCES auth_user (id))"
            )
            cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", ["a" * 40, user.pk])

        migrate_to_latest()

        stored = ApiToken.objects.get(user_id=user.pk)
        assert stored.key_hash == token_hash("a" * 40)
        assert "authtoken_token" not in connection.introspection.table_names()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token " + "a" * 40)
        assert client.get("/api/pledges/").status_code == 200


def test_the_unused_plain_text_token_app_is_not_installed():
    from django.apps import apps

    assert not apps.is_installed("rest_framework.authtoken")


@pytest.mark.django_db(transaction=True)
def test_stories_and_updates_written_before_are_stored_rendered():
    from campaigns.models import Campaign

    with a_database_of_its_own():
        old = migrate([("campaigns", "0006_image_labels"), ("updates", "0003_labels_in_the_readers_language")])
        user = old.get_model("auth", "User").objects.create(username="maya", email="maya@example.com")
        campaign = old.get_model("campaigns", "Campaign").objects.create(
            creator=user,
            title="Field Notebook",
            slug="field-notebook",
            description="# Why\n\nA *notebook* <script>alert(1)</script>",
            goal=Decimal("500.00"),
            currency="USD",
        )
        empty = old.get_model("campaigns", "Campaign").objects.create(
            creator=user, title="Untold", slug="untold", goal=Decimal("5.00"), currency="USD"
        )
        update = old.get_model("updates", "CampaignUpdate").objects.create(
            campaign=campaign, author=user, number=1, title="Printing", body="**Soon**", published_at=timezone.now()
        )

        migrate_to_latest()

        assert (
            Campaign.objects.get(pk=campaign.pk).description_html == "<h1>Why</h1>\n<p>A <em>notebook</em> alert(1)</p>"
        )
        assert Campaign.objects.get(pk=empty.pk).description_html == ""
        assert CampaignUpdate.objects.get(pk=update.pk).body_html == "<p><strong>Soon</strong></p>"
