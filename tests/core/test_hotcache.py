"""The page cache stores only what every visitor without cookies would get: a page that made
itself the visitor's own (a CSRF token, a session, a message) is served to that visitor only."""

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory

from core.hotcache import cached_page

pytestmark = pytest.mark.django_db


def counted(body):
    calls = []

    @cached_page(lambda **kwargs: "test:page")
    def view(request):
        calls.append(request)
        return HttpResponse(body(request))

    return view, calls


def anonymous_get():
    request = RequestFactory().get("/somewhere/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_a_page_the_same_for_everyone_is_built_once():
    view, calls = counted(lambda request: "the same for all")

    bodies = [view(anonymous_get()).content for _ in range(3)]

    assert bodies == [b"the same for all"] * 3
    assert len(calls) == 1


def test_a_page_with_a_csrf_token_is_never_stored():
    view, calls = counted(lambda request: get_token(request))

    first, second = view(anonymous_get()).content, view(anonymous_get()).content

    assert len(calls) == 2
    assert first != second  # each visitor's own token (and its cookie, set by the middleware)


def test_a_page_that_writes_the_session_or_leaves_a_message_is_never_stored():
    def with_session(request):
        request.session["seen"] = True
        return "session"

    def with_message(request):
        messages.info(request, "hello")
        return "message"

    for body in (with_session, with_message):
        view, calls = counted(body)
        view(anonymous_get())
        view(anonymous_get())
        assert len(calls) == 2, body.__name__


def test_a_visitor_with_cookies_gets_the_view():
    view, calls = counted(lambda request: "built")
    view(anonymous_get())
    request = anonymous_get()
    request.COOKIES["sessionid"] = "x"

    view(request)

    assert len(calls) == 2
