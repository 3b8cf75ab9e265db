"""The German catalogue is complete, compiled, and matches the strings the code marks."""

from django.conf import settings

from tests.i18n.catalog import compiled_catalog, german_catalog, key, marked_strings


def _translations(catalog) -> dict:
    return {key(message): _forms(message.string) for message in catalog if message.id}


def test_every_msgid_has_a_german_msgstr_and_none_is_fuzzy():
    catalog = german_catalog()
    messages = [message for message in catalog if message.id]

    assert len(messages) > 500  # the whole site, not an empty file
    untranslated = [message.id for message in messages if not all(_forms(message.string))]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert not catalog.fuzzy  # the header too: gettext skips a catalogue whose header is fuzzy


def test_placeholders_of_each_translation_match_its_msgid():
    problems = [(message.id, [str(e) for e in errors]) for message, errors in german_catalog().check()]

    assert problems == []


def test_the_committed_mo_is_the_committed_po_compiled():
    assert _translations(compiled_catalog()) == _translations(german_catalog())


def test_every_string_the_code_marks_is_in_the_catalogue_and_nothing_else():
    """Re-extraction without GNU gettext: a string marked since the last `make messages` fails here."""
    marked = marked_strings()
    in_catalog = set(_translations(german_catalog()))

    missing = {msgid: str(path) for msgid, path in marked.items() if msgid not in in_catalog}
    assert missing == {}, "run `make messages` and translate the new strings"
    assert in_catalog - set(marked) == set(), "strings nothing marks any more: run `make messages`"


def test_german_is_offered_because_its_catalogue_ships():
    assert ("de", "Deutsch") in settings.LANGUAGES


def _forms(string) -> tuple:
    """A msgstr as a tuple of its forms (read_mo gives plurals as lists, read_po as tuples)."""
    return tuple(string) if isinstance(string, list | tuple) else (string,)
