from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.money import MONEY_FIELD as MONEY
from core.money import percent_funded, quantize


class Category(models.Model):
    """One of the fixed categories (and their subcategories) a campaign is filed under.

    The rows come from a data migration (campaigns.categories.CATEGORIES); their names are
    shown in the reader's language through that module's catalogue, keyed by ``slug``."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        from campaigns.categories import category_name

        return category_name(self.slug)

    @property
    def name(self) -> str:
        return str(self)


def _searchable(field: str) -> Replace:
    """The field with every "<" made a space. PostgreSQL's text search parser reads "<" as the start
    of an HTML tag and scans unclosed comments again from each "<!--": a 50,000-character story of
    them took 5 s per language on every save. Creators write Markdown; no word is lost."""
    return Replace(F(field), Value("<"), Value(" "), output_field=models.TextField())


def _search_vector(config: str) -> "CombinedExpression":
    return (
        SearchVector(_searchable("title"), weight="A", config=config)
        + SearchVector(_searchable("blurb"), weight="B", config=config)
        + SearchVector(_searchable("description"), weight="C", config=config)
    )


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("campaign state", "Draft")
        LIVE = "live", pgettext_lazy("campaign state", "Live")
        SUCCESSFUL = "successful", pgettext_lazy("campaign state", "Successful")
        FAILED = "failed", pgettext_lazy("campaign state", "Failed")
        CANCELED = "canceled", pgettext_lazy("campaign state", "Canceled")

    class Review(models.TextChoices):
        # Staff review before launch (CAMPAIGN_REVIEW_REQUIRED); a draft only.
        NONE = "", _("Not submitted")
        PENDING = "pending", _("Awaiting review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")

    class FundingModel(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        FLEXIBLE = "flexible", _("Keep what you raise")

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("creator")
    )
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    # A long story with its links fits; every pathological text of this size renders in a fraction
    # of a second (tests/core/test_markdown.py), and the API allowed this much before.
    DESCRIPTION_MAX_LENGTH = 50_000
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    # Rendered from the description by the services when it is saved (core.markdown); pages show it.
    description_html = models.TextField(_("description as HTML"), blank=True, editable=False)
    # Re-encoded by campaigns.images under an unguessable name; never the uploaded bytes.
    # The one-line pitch under the title, on cards and in link previews.
    BLURB_MAX_LENGTH = 135
    blurb = models.CharField(_("short description"), max_length=BLURB_MAX_LENGTH, blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("category"),
    )
    RISKS_MAX_LENGTH = 5_000
    risks = models.TextField(_("risks and challenges"), blank=True, max_length=RISKS_MAX_LENGTH)
    # A YouTube or Vimeo link as pasted; the page embeds it through campaigns.video.
    video_url = models.URLField(_("video link"), blank=True, max_length=300)
    # Set by staff holding campaigns.pick_campaign: the home page's "Projects we love".
    picked_at = models.DateTimeField(_("picked by staff at"), null=True, blank=True)
    # Title, blurb and story in English and German, kept by PostgreSQL (campaigns.search).
    search_vector = models.GeneratedField(
        expression=_search_vector("english") + _search_vector("german"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    image = models.ImageField(_("image"), upload_to="campaigns/", blank=True, max_length=200)
    image_alt = models.CharField(_("image description"), max_length=200, blank=True)
    goal = models.DecimalField(_("goal"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    funding_model = models.CharField(
        _("funding model"), max_length=16, choices=FundingModel.choices, default=FundingModel.ALL_OR_NOTHING
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    canceled_at = models.DateTimeField(_("canceled at"), null=True, blank=True)
    funded_at = models.DateTimeField(_("funded at"), null=True, blank=True)
    # Running totals of active pledges, kept exact by the pledge services; frozen at close.
    pledged = models.DecimalField(_("pledged"), **MONEY, default=Decimal("0"))
    backers_count = models.PositiveIntegerField(_("backers count"), default=0)
    # Money that actually moved, kept exact by collection and refunds.
    collected = models.DecimalField(_("collected"), **MONEY, default=Decimal("0"))
    collected_count = models.PositiveIntegerField(_("collected count"), default=0)
    refunded = models.DecimalField(_("refunded"), **MONEY, default=Decimal("0"))
    # Late pledges (optional): after a successful close the page keeps taking pledges, charged at
    # once, until this moment (empty: none), at each tier's minimum raised by this percentage.
    late_pledges_until = models.DateTimeField(_("late pledges until"), null=True, blank=True)
    late_price_percent = models.PositiveSmallIntegerField(_("late price increase (%)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Review before launch: where the draft stands, what staff said, when and who.
    review_state = models.CharField(_("review"), max_length=20, choices=Review.choices, default=Review.NONE, blank=True)
    review_message = models.TextField(_("review message"), blank=True, max_length=5000)
    review_submitted_at = models.DateTimeField(_("submitted for review at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    # Pre-launch: a draft shown publicly as "coming soon" since this moment (null: private).
    coming_soon_at = models.DateTimeField(_("coming soon since"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("review_campaign", _("Can approve campaigns for launch or ask for changes")),
            ("pick_campaign", _("Can pick campaigns for Projects we love")),
        ]
        indexes = [
            models.Index(fields=["state", "deadline"]),
            models.Index(
                fields=["review_submitted_at"], condition=Q(review_state="pending"), name="campaign_review_queue"
            ),
            GinIndex(fields=["search_vector"], name="campaign_search_vector"),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="campaign_title_trgm"),
            models.Index(fields=["picked_at"], name="campaign_picked_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(goal__gt=0), name="campaign_goal_positive"),
            models.CheckConstraint(condition=Q(pledged__gte=0), name="campaign_pledged_not_negative"),
            models.CheckConstraint(condition=Q(collected__gte=0), name="campaign_collected_not_negative"),
            models.CheckConstraint(condition=Q(refunded__lte=F("collected")), name="campaign_refunds_within_collected"),
            models.CheckConstraint(
                condition=~Q(state="live") | Q(deadline__isnull=False, launched_at__isnull=False),
                name="campaign_live_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def percent_funded(self) -> int:
        return percent_funded(self.pledged, self.goal)

    @property
    def is_open_for_pledges(self) -> bool:
        return self.is_open_at(timezone.now())

    def is_open_at(self, moment) -> bool:
        return self.state == self.State.LIVE and self.deadline is not None and self.deadline > moment

    def takes_late_pledges_at(self, moment) -> bool:
        """After a successful close, until ``late_pledges_until``: pledges charged at once."""
        until = self.late_pledges_until
        return self.state == self.State.SUCCESSFUL and until is not None and until > moment

    @property
    def takes_late_pledges(self) -> bool:
        return self.takes_late_pledges_at(timezone.now())

    @property
    def is_coming_soon(self) -> bool:
        return self.state == self.State.DRAFT and self.coming_soon_at is not None

    @property
    def reached_its_goal(self) -> bool:
        """All-or-nothing needs the goal; a flexible campaign keeps whatever was pledged."""
        if self.funding_model == self.FundingModel.FLEXIBLE:
            return self.pledged > 0
        return self.pledged >= self.goal

    def money(self, amount: Decimal) -> Decimal:
        return quantize(amount, self.currency)


class Question(models.Model):
    """One entry of a campaign's FAQ, written by its creator (campaigns.services.campaign_set_faq)."""

    QUESTION_MAX_LENGTH = 200
    ANSWER_MAX_LENGTH = 2_000
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="faq", verbose_name=_("campaign"))
    question = models.CharField(_("question"), max_length=QUESTION_MAX_LENGTH)
    answer = models.TextField(_("answer"), max_length=ANSWER_MAX_LENGTH)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["campaign", "position", "id"]

    def __str__(self) -> str:
        return self.question
