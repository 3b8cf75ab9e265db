"""Shipping regions, defined in code: which countries each one covers and which is the more specific.

A tier's shipping rule names a country or one of these regions. For a destination, a country
rule wins; else the first region of ``SPECIFICITY`` that holds the country and has a rule; else
``WORLD`` (rest of world, the catch-all); else the tier does not ship there.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    EU = "eu", _("European Union")
    EUROPE = "europe", _("Europe")
    NORTH_AMERICA = "north_america", _("North America")
    LATIN_AMERICA = "latin_america", _("Latin America and the Caribbean")
    ASIA = "asia", _("Asia")
    OCEANIA = "oceania", _("Oceania")
    AFRICA = "africa", _("Africa")
    WORLD = "world", _("Rest of the world")


EU = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
# Europe beyond the EU (the EU is part of it).
_EUROPE_REST = frozenset("AD AL AX BA BY CH FO GB GG GI IM IS JE LI MC MD ME MK NO RS RU SJ SM TR UA VA".split())
COUNTRIES: dict[str, frozenset[str]] = {
    Region.EU: EU,
    Region.EUROPE: EU | _EUROPE_REST,
    Region.NORTH_AMERICA: frozenset("US CA MX PM GL BM".split()),
    Region.LATIN_AMERICA: frozenset(
        "AG AI AR AW BB BL BO BQ BR BS BZ CL CO CR CU CW DM DO EC FK GD GF GP GT GY HN HT JM KN KY LC "
        "MF MQ MS NI PA PE PR PY SR SV SX TC TT UY VC VE VG VI".split()
    ),
    Region.ASIA: frozenset(
        "AE AF AM AZ BD BH BN BT CN GE HK ID IL IN IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN MO MV "
        "MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TW UZ VN YE".split()
    ),
    Region.OCEANIA: frozenset("AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV VU WF WS".split()),
    Region.AFRICA: frozenset(
        "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR "
        "MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW".split()
    ),
}
# Most specific first: the EU before Europe; the rest of the world last, holding every country.
SPECIFICITY: tuple[str, ...] = (
    Region.EU,
    Region.NORTH_AMERICA,
    Region.LATIN_AMERICA,
    Region.OCEANIA,
    Region.ASIA,
    Region.AFRICA,
    Region.EUROPE,
    Region.WORLD,
)


def regions_of(country: str) -> list[str]:
    """The regions holding ``country``, most specific first (always ending with WORLD)."""
    return [region for region in SPECIFICITY if region == Region.WORLD or country in COUNTRIES[region]]
