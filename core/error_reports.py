"""What goes to the error service (sentry-sdk, SENTRY_DSN): the error and where it happened, not
the people it happened to. ``send_default_pii=False`` already drops cookies, the user, the client
address and request bodies; local variables are not sent at all (a pledge's frame holds e-mail
addresses and card ids), and a query string (``?search=``, a link's token) is sent without its
values."""

from urllib.parse import parse_qsl, urlencode

from sentry_sdk.types import Event, Hint


def scrub_event(event: Event, hint: Hint) -> Event:
    request = event.get("request")
    if isinstance(request, dict) and request.get("query_string"):
        query = request["query_string"]
        pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else []
        request["query_string"] = urlencode([(name, "[Filtered]") for name, _ in pairs])
    return event
