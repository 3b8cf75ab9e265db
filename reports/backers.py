"""The backer report of a campaign: one row per pledge, in pledge order, as Kickstarter's.

The backer number is the pledge's place among *all* the campaign's pledges
(ordered by when they were made), so a number never changes when the report is
filtered or a pledge changes state. SQL cannot number the whole campaign and
filter in one Django query (the filter would land inside the window), so the
rows for XLSX stream every pledge of the campaign from a server-side cursor in
pledge order and the tier and state filters are applied as the rows go by:
constant memory, one pass. The CSV is written by PostgreSQL itself (COPY, below),
numbering in a subquery and filtering outside it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from core.errors import InvalidInput
from core.money import currency_decimal_places, quantize
from fulfilment.addresses import country_name, country_names
from fulfilment.models import SurveyQuestion
from pledges.models import Charge, Pledge, PledgeAddOn
from reports import writers
from reports.writers import FORMULA_START, Progress, Report, Section

if TYPE_CHECKING:
    from psycopg.sql import Composed

NO_REWARD = "none"
# Rows fetched from the server-side cursor per round trip.
FETCH_ROWS = 2000

FULFILMENT_HEADER = [
    "Fulfillment Status",
    "Survey Response",
    "Shipping Name",
    "Shipping Address 1",
    "Shipping Address 2",
    "Shipping City",
    "Shipping State",
    "Shipping Postal Code",
    "Shipping Country Name",
    "Shipping Country Code",
    "Shipping Phone Number",
]
ADDRESS_COLUMNS = ("name", "address1", "address2", "city", "state", "postal_code")

BACKER_HEADER = [
    "Backer Number",
    "Backer UID",
    "Backer Name",
    "Email",
    "Reward ID",
    "Reward Title",
    "Reward Minimum",
    "Pledge Amount",
    "Shipping Amount",
    "Currency",
    "Pledged At",
    "Pledge Status",
    "Collected At",
    "Refunded Amount",
    # "yes" for a late pledge (made after a successful close, charged at once); empty otherwise.
    "Late Pledge",
    # Kickstarter's names, after ours (some repeat a column above, as its own report has them):
    # the destination's code, what the pledge pays for shipping, its add-ons ("2 x Poster; 1 x Pin").
    "Shipping Country",
    "Shipping Amount",
    "Add-ons",
    "Pledged At",
    "Pledged Status",
    # Fulfilment (fulfilment/): the status, when the survey was answered, the shipping address
    # (empty unless the reader may see addresses: see backer_report), then one column per question.
    *FULFILMENT_HEADER,
]
# "2 x Poster": an add-on line in the report.
ADD_ON_SEPARATOR = "; "
QUANTITY_SIGN = " x "

_FIELDS = (
    "backer_id",
    "backer__first_name",
    "backer__last_name",
    "backer__username",
    "backer__profile__display_name",
    "backer__profile__deleted_at",
    "backer__email",
    "reward_id",
    "reward__title",
    "reward__minimum",
    "shipping_amount",
    "amount",
    "created_at",
    "state",
    "collected_at",
    "refunded_amount",
    "is_late",
    "shipping_country",
    "add_on_list",
    "fulfilment__status",
    "survey_response__updated_at",
    "survey_response__answers",
    *(f"survey_response__{column}" for column in (*ADDRESS_COLUMNS, "country", "phone")),
)


@dataclass(frozen=True)
class BackerFilters:
    """``reward``: a tier id, NO_REWARD for pledges without one, None for all; ``states``: empty for all."""

    reward: int | str | None = None
    states: tuple[str, ...] = ()

    @classmethod
    def parse(cls, *, campaign: Campaign, reward: str | None = None, state: str | None = None) -> BackerFilters:
        """From query parameters: ``reward=<tier id>|none``, ``state=collected[,errored…]``."""
        tier: int | str | None = None
        if reward not in (None, ""):
            if reward.strip().lower() == NO_REWARD:
                tier = NO_REWARD
            else:
                try:
                    tier = int(reward)
                except ValueError:
                    raise InvalidInput(_("reward must be a reward id or 'none'."), code="invalid_reward") from None
                if not campaign.rewards.filter(pk=tier).exists():
                    raise InvalidInput(_("That reward does not belong to this campaign."), code="unknown_reward")
        states: tuple[str, ...] = ()
        if state not in (None, ""):
            states = tuple(sorted({part.strip().lower() for part in state.split(",") if part.strip()}))
            unknown = [s for s in states if s not in Pledge.State.values]
            if unknown:
                choices = ", ".join(Pledge.State.values)
                raise InvalidInput(
                    _("Unknown pledge state %(state)r; one of %(choices)s.")
                    % {"state": unknown[0], "choices": choices},
                    code="invalid_state",
                )
        return cls(reward=tier, states=states)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BackerFilters:
        return cls(reward=data.get("reward"), states=tuple(data.get("states") or ()))

    def as_json(self) -> dict[str, Any]:
        return {"reward": self.reward, "states": list(self.states)}

    def matches(self, reward_id: int | None, state: str) -> bool:
        if self.states and state not in self.states:
            return False
        if self.reward == NO_REWARD:
            return reward_id is None
        return self.reward is None or reward_id == self.reward

    def apply(self, pledges):
        if self.states:
            pledges = pledges.filter(state__in=self.states)
        if self.reward == NO_REWARD:
            pledges = pledges.filter(reward__isnull=True)
        elif self.reward is not None:
            pledges = pledges.filter(reward_id=self.reward)
        return pledges


# A deleted backer's row (its pledge is a money record and stays) names nobody. In English like
# the report's header, the same in the CSV PostgreSQL writes and in the XLSX.
DELETED_BACKER = "deleted user"


def backer_name(first: str, last: str, username: str, display_name: str | None = "", deleted_at: object = None) -> str:
    """The full name, else the display name, else the username; DELETED_BACKER once deleted."""
    if deleted_at is not None:
        return DELETED_BACKER
    return f"{first} {last}".strip() or (display_name or "").strip() or username


def backer_count(campaign: Campaign, filters: BackerFilters) -> int:
    return filters.apply(Pledge.objects.filter(campaign_id=campaign.pk)).count()


def _questions(campaign: Campaign) -> list[tuple[int, str]]:
    """(id, prompt) of the campaign's survey questions, in the survey's order: a column each."""
    return list(
        SurveyQuestion.objects.filter(survey__campaign_id=campaign.pk).order_by("position").values_list("pk", "prompt")
    )


def backer_header(campaign: Campaign) -> list[str]:
    """BACKER_HEADER and the campaign's survey questions (neutralised: creators write them)."""
    return BACKER_HEADER + [writers.safe_text(prompt) for _pk, prompt in _questions(campaign)]


def _answer(value: Any) -> str | None:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return None if value in (None, "") else str(value)


def _fulfilment_cells(row: tuple[Any, ...], state: str, addresses: bool, questions: list[int]) -> list[Any]:
    status, responded, answers, *address = row
    name, address1, address2, city, region, postal_code, country, phone = address
    if status is None and state == Pledge.State.COLLECTED:
        status = "unfulfilled"
    cells: list[Any] = [status, responded]
    if addresses and country:
        cells += [name, address1, address2, city, region, postal_code, country_name(country), country, phone]
    else:
        cells += [None] * 9
    answers = answers or {}
    return cells + [_answer(answers.get(str(pk))) for pk in questions]


def _backer_rows(campaign: Campaign, filters: BackerFilters, addresses: bool = False) -> Iterator[list[Any]]:
    currency = campaign.currency
    questions = [pk for pk, _prompt in _questions(campaign)]
    pledges = (
        Pledge.objects.filter(campaign_id=campaign.pk)
        .annotate(refunded_amount=_refunded_amount(), add_on_list=_add_on_list())
        .order_by("created_at", "pk")
        .values_list(*_FIELDS)
    )
    number = 0
    for row in pledges.iterator(chunk_size=FETCH_ROWS):
        number += 1
        backer_id, first, last, username, display_name, deleted_at, email, reward_id, title, *rest = row
        minimum, shipping, amount, at, state, collected, refunded, late, country, add_ons, *fulfilment = rest
        if not filters.matches(reward_id, state):
            continue
        pledge_shipping = None if reward_id is None else quantize(shipping, currency)  # no reward: nothing shipped
        yield [
            number,
            backer_id,
            backer_name(first, last, username, display_name, deleted_at),
            email,
            reward_id,
            title,
            None if minimum is None else quantize(minimum, currency),
            quantize(amount, currency),
            pledge_shipping,
            currency,
            at,
            state,
            collected,
            quantize(refunded, currency),
            "yes" if late else None,
            country or None,
            pledge_shipping,
            add_ons or None,
            at,
            state,
            *_fulfilment_cells(tuple(fulfilment), state, addresses, questions),
        ]


def _refunded_amount():
    """What the provider refunded of the pledge's charge: partial refunds show as such."""
    charge = Charge.objects.filter(pledge=OuterRef("pk"), state=Charge.State.SUCCEEDED).values("refunded_amount")[:1]
    return Coalesce(Subquery(charge), Value(Decimal("0")), output_field=Pledge._meta.get_field("amount"))


def _add_on_list():
    """The pledge's add-ons as one text, "2 x Poster; 1 x Pin" in add-on order (as the COPY writes it)."""
    line = Concat(Cast("quantity", CharField()), Value(QUANTITY_SIGN), "add_on__title", output_field=CharField())
    lines = (
        PledgeAddOn.objects.filter(pledge=OuterRef("pk"))
        .values("pledge")
        .annotate(text=StringAgg(line, delimiter=ADD_ON_SEPARATOR, order_by="add_on_id"))
        .values("text")
    )
    return Subquery(lines, output_field=CharField())


def backer_report(campaign: Campaign, filters: BackerFilters | None = None, *, addresses: bool = False) -> Report:
    """The report, lazily: nothing is read until its rows (XLSX) or its CSV are iterated.

    ``addresses``: whether the shipping address columns are filled (the campaign's creator and
    staff with fulfilment.view_shipping_address: fulfilment.selectors.may_view_addresses); for
    anyone else they are there, empty, so every reader's file has the same columns.
    """
    filters = filters or BackerFilters()
    header = backer_header(campaign)
    return Report(
        name=f"backers-{campaign.slug}",
        sections=[Section(title="Backers", header=header, rows=_backer_rows(campaign, filters, addresses))],
        rows_total=backer_count(campaign, filters),
        csv=lambda progress: backer_csv(campaign, filters, progress, addresses=addresses, header=header),
    )


# --- the CSV, made by PostgreSQL ---------------------------------------------------------
#
# The same cells as _backer_rows and writers.csv_cell, formatted in SQL and streamed by
# ``COPY (…) TO STDOUT``: Python only passes blocks of text on (several times faster than
# building each row, and memory stays flat). Amounts are rounded to the currency's
# decimals (they never have more), times are ISO 8601 UTC, a backer's name is their full
# name trimmed or else their username, and every text cell writers.FORMULA_START matches
# gets a leading quote (but for the currency and the states, from fixed lists that start with
# letters). Empty text is written as an empty field.
# Lines end in LF (COPY's), not CRLF: every CSV reader takes both.

# What Python's str.strip() removes from a name, as PostgreSQL escapes: ASCII whitespace and
# the four separators.
_WHITESPACE = r" \t\n\r\f\x0b\x1c\x1d\x1e\x1f"
_QUOTE = "'"
# The code points a match of FORMULA_START can start with (ascii() of a text's first character;
# 0 for empty text, which is no formula).
_FORMULA_FIRST = ", ".join(str(ord(c)) for c in " \t\r\n;,=+@-")
# Rows copied between two progress reports of a background export. Each batch builds its joins
# afresh (50,000 rows took 0.9 s where all 200,000 in one statement take 2 s): about a second
# between two reports.
PROGRESS_BATCH_ROWS = 100_000


def _sql_text(value: str) -> str:
    """A PostgreSQL escape-string literal of ``value`` (control characters as \\xNN)."""
    return "E'" + "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or c in "'\\" else c for c in value) + "'"


def _safe(expression: str) -> str:
    """SQL for writers.safe_text(expression); NULL (an empty field) for empty text."""
    prefixed = f"{_sql_text(_QUOTE)} || {expression}"
    # A cell FORMULA_START matches starts with one of these: most cells are settled by comparing
    # one integer (ascii() copies nothing), without the regex.
    first = f"ascii({expression}) IN ({_FORMULA_FIRST})"
    test = f"{first} AND {expression} ~ {_sql_text(FORMULA_START)}"
    return f"nullif(CASE WHEN {test} THEN {prefixed} ELSE {expression} END, '')"


def _iso(expression: str) -> str:
    return f"""to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


_NAME = (
    f"CASE WHEN pr.deleted_at IS NOT NULL THEN {_sql_text(DELETED_BACKER)} ELSE coalesce("
    f"nullif(btrim(u.first_name || ' ' || u.last_name, E'{_WHITESPACE}'), ''), "
    f"nullif(btrim(pr.display_name, E'{_WHITESPACE}'), ''), u.username) END"
)

# Only constants of this module are put in by the f-string; values go in as sql.Literal.
#
# Three levels. The innermost computes every cell but the number, the backer's name kept raw,
# and sorts: its ORDER BY and OFFSET 0 keep it a query of its own, so PostgreSQL computes the
# cells in its parallel workers before merging them in order (flattened, they were computed one
# row at a time in one process above the merge, most of the report's time). The middle one
# numbers the rows (in the order they arrive: no second sort); the outer one filters them (the
# numbers count every pledge) and neutralises the name and the answers, each read once there.
_COPY = f"""
COPY (
  SELECT n.number, n.backer_id, {_safe("n.name")}, n.email, n.reward_id, n.title, n.minimum, n.amount,
         n.shipping, n.currency, n.pledged_at, n.state, n.collected_at, n.refunded, n.late,
         n.shipping_country, n.shipping, n.add_ons, n.pledged_at, n.state, n.fulfilment, n.responded_at,
         n.a1, n.a2, n.a3, n.a4, n.a5, n.a6, n.a7, n.a8, n.a9{{questions}}
    FROM (
      SELECT {{numbered_before}} + row_number() OVER (ORDER BY cells.created_at, cells.id) AS number, cells.*
        FROM (
          SELECT p.id, p.created_at, p.backer_id, {_NAME} AS name, {_safe("u.email")} AS email, p.reward_id,
                 {_safe("r.title")} AS title, round(r.minimum, {{places}}) AS minimum,
                 round(p.amount, {{places}}) AS amount,
                 -- A pledge without a reward ships nothing: an empty cell, as in the Python rows.
                 CASE WHEN p.reward_id IS NOT NULL THEN round(p.shipping_amount, {{places}}) END AS shipping,
                 c.currency, {_iso("p.created_at")} AS pledged_at, p.state,
                 {_iso("p.collected_at")} AS collected_at,
                 round(coalesce(ch.refunded_amount, 0), {{places}}) AS refunded,
                 CASE WHEN p.is_late THEN 'yes' END AS late, nullif(p.shipping_country, '') AS shipping_country,
                 {_safe("ao.add_ons")} AS add_ons,
                 -- A pledge shipped and then refunded keeps its status; only a collected one is unfulfilled.
                 coalesce(f.status, CASE WHEN p.state = 'collected' THEN 'unfulfilled' END) AS fulfilment,
                 {_iso("sr.updated_at")} AS responded_at, {{addresses}}{{answers}}
            FROM pledges_pledge p
            JOIN auth_user u ON u.id = p.backer_id
            LEFT JOIN accounts_profile pr ON pr.user_id = u.id
            JOIN campaigns_campaign c ON c.id = p.campaign_id
            LEFT JOIN rewards_rewardtier r ON r.id = p.reward_id
            LEFT JOIN pledges_charge ch ON ch.pledge_id = p.id AND ch.state = 'succeeded'
            -- The add-on lines of the campaign's pledges, aggregated once (not a sub-select per row).
            LEFT JOIN (
              SELECT l.pledge_id,
                     string_agg(l.quantity || {_sql_text(QUANTITY_SIGN)} || a.title, {_sql_text(ADD_ON_SEPARATOR)}
                                ORDER BY l.add_on_id) AS add_ons
                FROM pledges_pledgeaddon l JOIN rewards_addon a ON a.id = l.add_on_id
               WHERE a.campaign_id = {{campaign}}
               GROUP BY l.pledge_id
            ) ao ON ao.pledge_id = p.id
            LEFT JOIN fulfilment_fulfilment f ON f.pledge_id = p.id
            LEFT JOIN fulfilment_surveyresponse sr ON sr.pledge_id = p.id{{answer_joins}}
           WHERE p.campaign_id = {{campaign}}{{batch}}
           ORDER BY p.created_at, p.id
          OFFSET 0
        ) cells
    ) n
   WHERE {{where}}
   ORDER BY n.created_at, n.id
) TO STDOUT WITH (FORMAT csv)
"""  # noqa: S608


# An answer (computed once per row in the inner query): the text or the choice, or the choices
# picked joined by "; " in the order kept (as _answer does). The choices are joined per response in
# a table of their own, hash-joined like the add-ons: a sub-select in the row would keep PostgreSQL
# from computing any cell of the row in its parallel workers.
_TEXT_ANSWER = "sr.answers ->> {key}"
_CHOICES_ANSWER = "qa{index}.answer"
_CHOICES_JOIN = """
            LEFT JOIN (
              SELECT r.pledge_id, string_agg(e.v, '; ' ORDER BY e.o) AS answer
                FROM fulfilment_surveyresponse r
                JOIN fulfilment_survey s ON s.id = r.survey_id
                CROSS JOIN LATERAL jsonb_array_elements_text(r.answers -> {key}) WITH ORDINALITY AS e(v, o)
               WHERE s.campaign_id = {campaign}
               GROUP BY r.pledge_id
            ) qa{index} ON qa{index}.pledge_id = p.id"""
# Empty address fields are '' (a reward that does not ship): _safe makes them empty cells.
_ADDRESS = ", ".join(
    f"{cell} AS a{index}"
    for index, cell in enumerate(
        [
            *(_safe(f"sr.{column}") for column in ADDRESS_COLUMNS),
            # The library's English names (none starts like a formula), looked up in a JSON object.
            "{countries}::jsonb ->> nullif(sr.country, '')",
            "nullif(sr.country, '')",
            _safe("sr.phone"),
        ],
        start=1,
    )
)
_NO_ADDRESS = ", ".join(f"NULL AS a{index}" for index in range(1, 10))


def _fulfilment_sql(campaign: Campaign, addresses: bool):
    """The address cells (or nine empty ones), the answers and their joins (inner query), and their cells."""
    from psycopg import sql

    names = json.dumps(dict(country_names()), ensure_ascii=False)
    cells = sql.SQL(_ADDRESS).format(countries=sql.Literal(names)) if addresses else sql.SQL(_NO_ADDRESS)
    questions = list(
        SurveyQuestion.objects.filter(survey__campaign_id=campaign.pk).order_by("position").values_list("pk", "kind")
    )
    answers = sql.Composed(
        [
            sql.SQL(", ")
            + sql.SQL(_CHOICES_ANSWER if kind == SurveyQuestion.Kind.CHOICES else _TEXT_ANSWER).format(
                key=sql.Literal(str(pk)), index=sql.SQL(str(index))
            )
            + sql.SQL(f" AS q{index}")
            for index, (pk, kind) in enumerate(questions)
        ]
    )
    joins = sql.Composed(
        [
            sql.SQL(_CHOICES_JOIN).format(
                key=sql.Literal(str(pk)), index=sql.SQL(str(index)), campaign=sql.Literal(int(campaign.pk))
            )
            for index, (pk, kind) in enumerate(questions)
            if kind == SurveyQuestion.Kind.CHOICES
        ]
    )
    answer_cells = sql.SQL("".join(f", {_safe(f'n.q{index}')}" for index in range(len(questions))))
    return cells, answers, joins, answer_cells


class Batch(NamedTuple):
    """A batch of the report: the pledges after one key (created_at, id) and up to another (None:
    from the first, to the last), numbered after the pledges before it."""

    after: tuple[datetime, int] | None = None
    upto: tuple[datetime, int] | None = None
    numbered_before: int = 0


WHOLE_REPORT = Batch()


def _copy_statement(
    campaign: Campaign, filters: BackerFilters, *, addresses: bool = False
) -> Callable[[Batch], Composed]:
    """The report's COPY for any batch; what no batch changes (the filters, the survey's questions,
    the country names) is built once for all of them."""
    from psycopg import sql

    where: list[sql.Composable] = [sql.SQL("TRUE")]
    if filters.states:
        where.append(sql.SQL("n.state = ANY({})").format(sql.Literal(list(filters.states))))
    if filters.reward == NO_REWARD:
        where.append(sql.SQL("n.reward_id IS NULL"))
    elif filters.reward is not None:
        where.append(sql.SQL("n.reward_id = {}").format(sql.Literal(int(filters.reward))))
    cells, answers, answer_joins, answer_cells = _fulfilment_sql(campaign, addresses)
    fixed = {
        "addresses": cells,
        "answers": answers,
        "answer_joins": answer_joins,
        "questions": answer_cells,
        "places": sql.Literal(currency_decimal_places(campaign.currency)),
        "campaign": sql.Literal(int(campaign.pk)),
        "where": sql.SQL(" AND ").join(where),
    }

    def for_batch(batch: Batch) -> Composed:
        keys: list[sql.Composable] = []
        if batch.after is not None:
            keys.append(sql.SQL(" AND (p.created_at, p.id) > ({}, {})").format(*map(sql.Literal, batch.after)))
        if batch.upto is not None:
            keys.append(sql.SQL(" AND (p.created_at, p.id) <= ({}, {})").format(*map(sql.Literal, batch.upto)))
        return sql.SQL(_COPY).format(
            **fixed, batch=sql.Composed(keys), numbered_before=sql.Literal(batch.numbered_before)
        )

    return for_batch


def backer_csv(
    campaign: Campaign,
    filters: BackerFilters,
    progress: Progress | None = None,
    *,
    addresses: bool = False,
    header: list[str] | None = None,
) -> Iterator[str]:
    """The report as CSV text, the header first, then writers.CHUNK_ROWS rows at a time.

    Nothing else may use the connection while a COPY streams, so with ``progress`` (a
    background export records it in the database as it goes) the rows are copied in
    batches of PROGRESS_BATCH_ROWS pledges, and progress is told between them. Each batch
    reads only its own pledges (from the key where the previous one ended), though it builds
    its joins (users, add-ons, answers) afresh.
    """
    first = io.StringIO()
    csv.writer(first, lineterminator="\n").writerow(header or backer_header(campaign))
    yield first.getvalue()
    statement = _copy_statement(campaign, filters, addresses=addresses)
    if progress is None:
        for chunk, _ in _copy_rows(statement(WHOLE_REPORT)):
            yield chunk
        return
    written = 0
    for batch in _batches(campaign):
        for chunk, rows in _copy_rows(statement(batch)):
            written += rows
            yield chunk
        progress(written)


def _batches(campaign: Campaign) -> list[Batch]:
    """The report in batches of PROGRESS_BATCH_ROWS pledges, each ending at the key of its last one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT created_at, id FROM ("
            "  SELECT created_at, id, row_number() OVER (ORDER BY created_at, id) AS number"
            "    FROM pledges_pledge WHERE campaign_id = %s"
            ") numbered WHERE number %% %s = 0 ORDER BY number",
            [campaign.pk, PROGRESS_BATCH_ROWS],
        )
        ends: list[tuple[datetime, int] | None] = [(at, pk) for at, pk in cursor.fetchall()]
    ends.append(None)  # the last batch runs to the end, whatever came in meanwhile
    starts = [None, *ends[:-1]]
    pairs = zip(starts, ends, strict=True)
    return [Batch(start, end, index * PROGRESS_BATCH_ROWS) for index, (start, end) in enumerate(pairs)]


def _copy_rows(statement: Composed) -> Iterator[tuple[str, int]]:
    """COPY's rows, CHUNK_ROWS at a time, counted."""
    with connection.cursor() as cursor:
        with cursor.copy(statement.as_string(cursor.connection)) as copy:
            chunk, rows = bytearray(), 0
            for row in copy:  # COPY hands over one row at a time
                chunk += row
                rows += 1
                if rows >= writers.CHUNK_ROWS:
                    yield chunk.decode(), rows
                    chunk, rows = bytearray(), 0
            if rows:
                yield chunk.decode(), rows


# --- any selection of pledges (the admin's export) ------------------------------------

PLEDGE_HEADER = [
    "Pledge ID",
    "Campaign ID",
    "Campaign",
    "Backer UID",
    "Backer Name",
    "Email",
    "Reward ID",
    "Reward Title",
    "Pledge Amount",
    "Currency",
    "Pledged At",
    "Pledge Status",
    "Collected At",
    "Refunded At",
    "Refunded Amount",
]


def _pledge_rows(pledges) -> Iterator[list[Any]]:
    rows = (
        pledges.annotate(refunded_amount=_refunded_amount())
        .order_by("campaign_id", "created_at", "pk")
        .values_list(
            "pk",
            "campaign_id",
            "campaign__title",
            "campaign__currency",
            "backer_id",
            "backer__first_name",
            "backer__last_name",
            "backer__username",
            "backer__profile__display_name",
            "backer__profile__deleted_at",
            "backer__email",
            "reward_id",
            "reward__title",
            "amount",
            "created_at",
            "state",
            "collected_at",
            "refunded_at",
            "refunded_amount",
        )
    )
    for row in rows.iterator(chunk_size=FETCH_ROWS):
        pk, campaign_id, campaign, currency, backer_id, first, last, username, display_name, deleted_at, *rest = row
        email, reward_id, title, amount, at, state, collected, refunded, refunded_amount = rest
        yield [
            pk,
            campaign_id,
            campaign,
            backer_id,
            backer_name(first, last, username, display_name, deleted_at),
            email,
            reward_id,
            title,
            quantize(amount, currency),
            currency,
            at,
            state,
            collected,
            refunded,
            quantize(refunded_amount, currency),
        ]


def pledge_report(pledges) -> Report:
    """Any queryset of pledges across campaigns, each amount in its campaign's currency."""
    return Report(
        name="pledges",
        sections=[Section(title="Pledges", header=PLEDGE_HEADER, rows=_pledge_rows(pledges))],
        rows_total=pledges.count(),
    )
