import pytest
from django.contrib.auth import get_user_model

from accounts.services import signup_request
from accounts.tokens import token_issue
from campaigns.services import categories_install
from closing.services.webhooks import webhook_receive
from reports.models import ExportJob
from tests.support import once
from tests.support.books import build_books
from updates.services import update_publish


@pytest.fixture(scope="module")
def _books_of_the_module(request, django_db_setup, django_db_blocker):
    """Built once per module (tests/support/once.py): the modules using it are marked
    ``provider_store_per_module``."""
    yield from once.built_once(request, django_db_blocker, _build_books)


@pytest.fixture
def books(_books_of_the_module, db):
    """A campaign in every state with pledges in most states, and at least two rows of every model
    the admin lists (one row would hide a query made per row); staff is pytest-django's admin_user."""
    return once.each_test(_books_of_the_module)


def _build_books():
    # pytest-django's admin_user finds this one by its username.
    admin_user = get_user_model().objects.create_superuser("admin", "admin@example.com", "password")
    books = build_books(staff=admin_user)
    categories_install()  # the fixed list (a flushed database may lack it)
    successful, live = books.by_state["successful"], books.by_state["live"]
    update_publish(campaign=successful, author=successful.creator, title="Pressing the vinyl", body="Soon.")
    update_publish(campaign=live, author=live.creator, title="Halfway there", body="Thank you.")
    webhook_receive(event={"id": "evt_admin_1", "type": "customer.created", "data": {"object": {"id": "cus_1"}}})
    pending = books.pledges["pending"]
    # What Stripe sends when a SetupIntent is made (not handled here): the intent, client secret included.
    secret = pending.setup_client_secret
    setup_intent = {"id": pending.setup_intent_id, "object": "setup_intent", "client_secret": secret}
    webhook_receive(event={"id": "evt_admin_2", "type": "setup_intent.created", "data": {"object": setup_intent}})
    ExportJob.objects.create(requested_by=successful.creator, kind="backers", campaign=successful)
    ExportJob.objects.create(requested_by=admin_user, kind="campaigns")
    books.tokens = [token_issue(user=pending.backer), token_issue(user=books.pledges["collected"].backer)]
    for name in ("ivy", "oak"):  # sign-ups waiting for their link
        signup_request(username=name, email=f"{name}@example.com", password="correct horse battery staple", client="")
    return books
