"""The fixed list of categories and subcategories, and their names in the reader's language.

The rows are made by a data migration from CATEGORIES; a name is looked up here by slug, so
a new language needs a catalogue, not a migration.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# slug -> (name, {subcategory slug: name}); the order is the order shown.
CATEGORIES: dict[str, tuple[Promise, dict[str, Promise]]] = {
    "art": (_("Art"), {"illustration": _("Illustration"), "painting": _("Painting"), "sculpture": _("Sculpture")}),
    "comics": (_("Comics"), {"graphic-novels": _("Graphic novels"), "webcomics": _("Webcomics")}),
    "crafts": (_("Crafts"), {"woodworking": _("Woodworking"), "pottery": _("Pottery"), "knitting": _("Knitting")}),
    "dance": (_("Dance"), {"performances": _("Performances"), "workshops": _("Workshops")}),
    "design": (_("Design"), {"graphic-design": _("Graphic design"), "product-design": _("Product design")}),
    "fashion": (_("Fashion"), {"apparel": _("Apparel"), "accessories": _("Accessories"), "footwear": _("Footwear")}),
    "film-video": (
        _("Film & video"),
        {"documentary": _("Documentary"), "shorts": _("Shorts"), "animation": _("Animation")},
    ),
    "food": (_("Food"), {"restaurants": _("Restaurants"), "drinks": _("Drinks"), "cookbooks": _("Cookbooks")}),
    "games": (_("Games"), {"tabletop-games": _("Tabletop games"), "video-games": _("Video games")}),
    "journalism": (_("Journalism"), {"audio": pgettext_lazy("category", "Audio"), "print": _("Print")}),
    "music": (_("Music"), {"albums": _("Albums"), "tours": _("Tours"), "classical": _("Classical music")}),
    "photography": (_("Photography"), {"photobooks": _("Photobooks"), "nature": _("Nature photography")}),
    "publishing": (
        _("Publishing"),
        {"fiction": _("Fiction"), "nonfiction": _("Nonfiction"), "art-books": _("Art books")},
    ),
    "technology": (_("Technology"), {"hardware": _("Hardware"), "software": _("Software"), "gadgets": _("Gadgets")}),
    "theater": (_("Theater"), {"plays": _("Plays"), "musicals": _("Musicals")}),
}

_NAMES = {slug: name for slug, (name, _children) in CATEGORIES.items()} | {
    child: name for _top, (_name, children) in CATEGORIES.items() for child, name in children.items()
}


def category_name(slug: str) -> str:
    """A category's name in the active language (the slug for one this list does not know)."""
    name = _NAMES.get(slug)
    return str(name) if name is not None else slug
