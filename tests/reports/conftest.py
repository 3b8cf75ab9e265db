"""The books (tests/support/books.py) built once per module for the reports' tests that read them."""

import pytest
from django.contrib.auth.models import User

from tests import factories
from tests.support import once
from tests.support.books import build_books


@pytest.fixture(scope="module")
def _books_of_the_module(request, django_db_setup, django_db_blocker):
    """Built once per module (tests/support/once.py): the modules using it are marked
    ``provider_store_per_module``."""
    yield from once.built_once(request, django_db_blocker, lambda: build_books(staff=_staff()))


@pytest.fixture
def books(_books_of_the_module, db):
    return once.each_test(_books_of_the_module)


@pytest.fixture
def staff(db):
    """The books' staff member, once the module built them."""
    return _staff()


def _staff() -> User:
    return User.objects.filter(username="staff").first() or factories.StaffFactory(username="staff")
