"""Full-text search over campaigns, with typos forgiven.

Two ways for a campaign to match a query, ranked together:

* PostgreSQL full text: the campaign's stored ``search_vector`` (title, blurb and story under
  the English and German configurations, kept by the database as a generated column with a GIN
  index) joined at query time with its creator's display name and username (``simple``
  configuration: names are not stemmed), against ``websearch_to_tsquery`` of the query in both
  configurations. websearch_to_tsquery never raises on its input: quotes, ``-``, ``or`` mean
  what a search box user expects, and ``& | ! ( ) : *`` are plain characters.
* Trigram word similarity (pg_trgm): the query is close to a run of words of the title or
  of the creator's name ("amanda palmr" finds "Amanda Palmer").

The query is cleaned first (search_text): control and format characters become spaces (a NUL
would make PostgreSQL refuse the statement), and it is cut to SEARCH_MAX_LENGTH characters.
"""

import unicodedata
from typing import Any

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Greatest

from campaigns.models import Campaign

SEARCH_MAX_LENGTH = 200
# word_similarity above which a query counts as a typo of a title's or a name's words.
TRIGRAM_THRESHOLD = 0.6
# Shorter queries are matched by full text only: a trigram of two letters matches anything.
TRIGRAM_MIN_LENGTH = 4
CONFIGS = ("english", "german")


def search_text(raw: str) -> str:
    """The query as searched: invisible and control characters replaced by spaces, white space
    collapsed, at most SEARCH_MAX_LENGTH characters."""
    cleaned = "".join(" " if unicodedata.category(char)[0] in "CZ" else char for char in raw[: SEARCH_MAX_LENGTH * 4])
    return " ".join(cleaned.split())[:SEARCH_MAX_LENGTH].strip()


def _query(text: str) -> SearchQuery:
    query = SearchQuery(text, config="simple", search_type="websearch")
    for config in CONFIGS:
        query = query | SearchQuery(text, config=config, search_type="websearch")
    return query


def campaigns_search(campaigns: QuerySet[Campaign], raw: str) -> QuerySet[Campaign]:
    """``campaigns`` that match the query, annotated with ``search_rank`` (higher first when the
    caller orders by it); unchanged for an empty query."""
    text = search_text(raw)
    if not text:
        return campaigns
    query = _query(text)
    names = SearchVector(
        Coalesce("creator__profile__display_name", F("creator__username")), "creator__username", config="simple"
    )
    # The stored vector followed by the creator's names ("amanda record" spans both).
    vector = CombinedExpression(F("search_vector"), "||", names, output_field=SearchVectorField())
    rank: Any = SearchRank(vector, query)
    if len(text) >= TRIGRAM_MIN_LENGTH:
        similarity = Greatest(
            TrigramWordSimilarity(text, "title"),
            TrigramWordSimilarity(text, Coalesce("creator__profile__display_name", F("creator__username"))),
            TrigramWordSimilarity(text, "creator__username"),
            output_field=FloatField(),
        )
    else:
        similarity = None
    campaigns = campaigns.annotate(search_document=vector)
    matches = Q(search_document=query)
    if similarity is not None:
        campaigns = campaigns.annotate(search_similarity=similarity)
        matches |= Q(search_similarity__gte=TRIGRAM_THRESHOLD)
        rank = rank + F("search_similarity")
    return campaigns.filter(matches).annotate(search_rank=rank)
