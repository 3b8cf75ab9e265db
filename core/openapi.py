"""The schema says every answer the API gives: the error bodies of core.api_errors, by status,
on every operation they can come from (drf-spectacular postprocessing hook); and each method of
a URL with several API classes (core.api_routing) is documented from its own class."""

from typing import Any

from drf_spectacular.generators import SchemaGenerator as SpectacularSchemaGenerator

ERROR = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "code": {"type": "string", "description": "A stable machine-readable code, e.g. sold_out."},
        "errors": {"type": "object", "additionalProperties": True, "description": "Per field, for 400s."},
    },
    "required": ["detail", "code"],
}
DESCRIPTIONS = {
    400: "Invalid input (per-field messages in `errors`).",
    401: "Not authenticated: send `Authorization: Token <token>` or a session cookie.",
    403: "Authenticated, but not allowed to do this.",
    404: "No such object, or one you may not see.",
    409: "The current state forbids it (sold out, campaign closed, already backing...).",
    429: "Too many requests: wait the `Retry-After` seconds.",
}
UNSAFE = ("post", "put", "patch", "delete")
UNTHROTTLED = ("/api/webhooks/stripe/",)


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    statuses = [] if path in UNTHROTTLED else [429]
    anonymous_allowed = {} in operation.get("security", [{}])
    if not anonymous_allowed:
        statuses.append(401)
    paginated = any(p.get("name") == "page" and p.get("in") == "query" for p in operation.get("parameters", []))
    if "{" in path or paginated:  # a page past the last one is a 404 too
        statuses.append(404)
    if method in UNSAFE:
        statuses += [400, 403, 409]
    elif any(p.get("in") == "query" for p in operation.get("parameters", [])):
        statuses.append(400)  # a filter value that is not one
    return sorted(statuses)


def add_error_responses(result: dict[str, Any], generator: object, request: object, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if path in UNTHROTTLED:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status.startswith("4") and "content" not in response:
                    response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return result


class SchemaGenerator(SpectacularSchemaGenerator):
    """Documents each method of a core.api_routing.MethodRoutes URL from the API class it goes to
    (its serializers, pagination, filters and annotations), as if the URL were routed there."""

    def create_view(self, callback: Any, method: str, request: Any = None) -> Any:
        routes = getattr(callback, "routes", None)
        if routes is not None:
            callback = routes[method.lower()]
        return super().create_view(callback, method, request)  # type: ignore[no-untyped-call]  # drf-spectacular leaves it unannotated
