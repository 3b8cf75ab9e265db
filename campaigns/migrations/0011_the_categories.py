"""The fixed list of categories (campaigns.categories), as rows; names are translated by slug."""

from django.db import migrations

# A copy, not an import: a migration keeps what it did when the module changes.
CATEGORIES = {
    "art": ["illustration", "painting", "sculpture"],
    "comics": ["graphic-novels", "webcomics"],
    "crafts": ["woodworking", "pottery", "knitting"],
    "dance": ["performances", "workshops"],
    "design": ["graphic-design", "product-design"],
    "fashion": ["apparel", "accessories", "footwear"],
    "film-video": ["documentary", "shorts", "animation"],
    "food": ["restaurants", "drinks", "cookbooks"],
    "games": ["tabletop-games", "video-games"],
    "journalism": ["audio", "print"],
    "music": ["albums", "tours", "classical"],
    "photography": ["photobooks", "nature"],
    "publishing": ["fiction", "nonfiction", "art-books"],
    "technology": ["hardware", "software", "gadgets"],
    "theater": ["plays", "musicals"],
}


def add_categories(apps, schema_editor):
    Category = apps.get_model("campaigns", "Category")
    for position, (slug, children) in enumerate(CATEGORIES.items()):
        parent, _ = Category.objects.get_or_create(slug=slug, defaults={"position": position})
        for child_position, child in enumerate(children):
            Category.objects.get_or_create(slug=child, defaults={"parent": parent, "position": child_position})


def remove_categories(apps, schema_editor):
    Category = apps.get_model("campaigns", "Category")
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0010_categories_search_faq_video")]

    operations = [migrations.RunPython(add_categories, remove_categories)]
