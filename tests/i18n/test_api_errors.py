"""The API keeps its error codes whatever the language; the human `detail` follows Accept-Language."""

import pytest
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db


def test_an_api_refusal_keeps_its_code_and_words_its_detail_in_the_client_s_language():
    factories.UserFactory(username="lena")
    body = {"username": "lena", "email": "other@example.com", "password": "correct horse battery staple"}

    english = APIClient().post("/api/auth/register/", body, format="json")
    german = APIClient().post("/api/auth/register/", body, format="json", headers={"accept-language": "de"})

    assert english.status_code == german.status_code == 409
    assert english.json() == {"detail": "That username is taken.", "code": "username_taken"}
    assert german.json() == {"detail": "Dieser Benutzername ist bereits vergeben.", "code": "username_taken"}
