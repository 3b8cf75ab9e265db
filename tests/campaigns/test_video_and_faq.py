"""A campaign's video link (campaigns.video: only YouTube and Vimeo, played through their
privacy-enhanced embeds), its FAQ (campaign_set_faq) and the staff pick (campaign_pick)."""

from decimal import Decimal

import pytest

from campaigns.models import Campaign
from campaigns.services import campaign_pick, campaign_set_faq, campaign_update
from campaigns.video import video_embed_url
from core.errors import Conflict, InvalidInput
from tests import factories

YOUTUBE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("link", "embed"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", YOUTUBE),
        ("https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ", YOUTUBE),
        ("https://youtu.be/dQw4w9WgXcQ?t=42", YOUTUBE),
        ("https://m.youtube.com/shorts/dQw4w9WgXcQ", YOUTUBE),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", YOUTUBE),
        ("  https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ  ", YOUTUBE),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("http://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
    ],
)
def test_youtube_and_vimeo_links_become_privacy_enhanced_players(link, embed):
    assert video_embed_url(link) == embed


@pytest.mark.parametrize(
    "link",
    [
        "",
        "https://evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://user:pass@www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
        "javascript:alert(1)//youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ%22onload%3D",
        "https://youtu.be/<script>",
        "https://vimeo.com/channels/staffpicks",
        "https://[::1/",
        "x" * 5000,
        "\x00",
    ],
)
def test_anything_else_has_no_player(link):
    assert video_embed_url(link) is None


@pytest.mark.django_db
def test_a_link_without_a_player_is_refused_and_nothing_changes():
    campaign = factories.DraftCampaignFactory()
    with pytest.raises(InvalidInput) as refused:
        campaign_update(campaign=campaign, video_url="https://evil.example/v", blurb="Changed")
    assert refused.value.code == "invalid_video_url"
    campaign.refresh_from_db()
    assert (campaign.video_url, campaign.blurb) == ("", "")


@pytest.mark.django_db
def test_blurb_is_one_checked_line():
    campaign = factories.DraftCampaignFactory()
    campaign_update(campaign=campaign, blurb="  A record,\n an art book  ")
    campaign.refresh_from_db()
    assert campaign.blurb == "A record, an art book"
    for bad in ("x" * 136, "Hidden\u202etext"):
        with pytest.raises(InvalidInput) as refused:
            campaign_update(campaign=campaign, blurb=bad)
        assert refused.value.code == "invalid_blurb"


@pytest.mark.django_db
def test_the_faq_is_replaced_in_order_and_checked():
    campaign = factories.LiveCampaignFactory()
    campaign_set_faq(campaign=campaign, entries=[("Vinyl?", "Yes."), ("", " "), ("CD?", "No.")])
    assert list(campaign.faq.values_list("question", "answer", "position")) == [
        ("Vinyl?", "Yes.", 0),
        ("CD?", "No.", 1),
    ]
    for entries in ([("Only a question", "")], [("", "Only an answer")], [("q", "a")] * 31, [("x" * 201, "a")]):
        with pytest.raises(InvalidInput):
            campaign_set_faq(campaign=campaign, entries=entries)
    assert campaign.faq.count() == 2  # a refused FAQ leaves the old one


@pytest.mark.django_db
def test_only_public_campaigns_are_picked():
    draft = factories.DraftCampaignFactory()
    with pytest.raises(Conflict):
        campaign_pick(campaign=draft, picked=True)
    live = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    assert campaign_pick(campaign=live, picked=True).picked_at is not None
    assert campaign_pick(campaign=live, picked=False).picked_at is None
    assert Campaign.objects.get(pk=live.pk).picked_at is None
