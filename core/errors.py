"""Domain errors raised by services; the API turns each into its HTTP status."""


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        # The input field at fault, if one is: the API names it under "errors", a form marks it.
        self.field = field
        if code:
            self.code = code


class InvalidInput(DomainError):
    status_code = 400
    code = "invalid"


class NotAuthenticated(DomainError):
    """More proof of who is asking is needed (a second factor)."""

    status_code = 401
    code = "not_authenticated"


class NotAllowed(DomainError):
    status_code = 403
    code = "permission_denied"


class Conflict(DomainError):
    """The request is valid but the current state forbids it (closed campaign, sold-out tier)."""

    status_code = 409
    code = "conflict"


class Unprocessable(DomainError):
    """Well-formed, but contradicts what was said before (an idempotency key reused for another request)."""

    status_code = 422
    code = "unprocessable"


class PaymentFailed(DomainError):
    status_code = 402
    code = "payment_failed"


class TooManyRequests(DomainError):
    """A limit was reached; ``retry_after`` seconds, at most, until it opens again."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    """A provider we depend on did not answer; nothing was kept, the request may be retried."""

    status_code = 503
    code = "service_unavailable"


class PayloadTooLarge(DomainError):
    """The request's body is larger than what the site takes (an upload over its limit)."""

    status_code = 413
    code = "upload_too_large"
