"""One error tree for the whole service.

Every error syndicate raises on purpose is a ``SyndicateError``. A dependency's own exceptions are wrapped at
the boundary (``raise FetchError(...) from exc``) so callers only ever catch ours. The API maps these to HTTP in
one place (``syndicate.api.app``); Celery tasks retry ``Retriable`` and record everything else on the object
they were working on.

    SyndicateError
    ├── ConfigError                    settings or registry files are wrong (operator fixes them)
    ├── InputError                     the input itself is bad; retrying will not help   → 422
    │   ├── ParseError                 a feed or page could not be read
    │   ├── UnsafeInput                hostile content: entity bombs, external entities, ...
    │   └── UnknownLanguage
    ├── FetchError                     fetching a URL failed
    │   ├── BlockedURL                 the SSRF guard refused the address                   → 422
    │   ├── TooLarge                   the body went over the size cap
    │   ├── TooManyRedirects
    │   └── HTTPStatusError(status)    the server answered with an error status
    ├── Retriable(retry_after)         a temporary failure; try again later                 → 503
    │   ├── FetchTimeout               (also a FetchError)
    │   ├── RateLimited                (429; also a FetchError)
    │   ├── ProviderUnavailable        a translation/summary provider failed
    │   └── DeliveryFailed             a partner endpoint did not accept a push
    ├── AuthError                      no or wrong credentials                              → 401
    ├── Forbidden                      credentials fine, but not for this object            → 403
    ├── NotFound                                                                            → 404
    ├── Gone                           retracted                                            → 410
    ├── Conflict                                                                            → 409
    └── LicenceForbids(action)         the licence does not allow this action               → 403
"""

from __future__ import annotations


class SyndicateError(Exception):
    """Base of every error syndicate raises on purpose."""

    #: A short stable code, used in API answers and recorded on sources and releases.
    code = "error"

    def __init__(self, message: str = "", **context: object) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        self.context = context

    def __str__(self) -> str:
        return self.message


class ConfigError(SyndicateError):
    """Settings or registry files are invalid."""

    code = "config"


class InputError(SyndicateError):
    """The input is invalid; retrying will not help."""

    code = "invalid_input"


class ParseError(InputError):
    """A feed or page could not be parsed."""

    code = "parse"


class UnsafeInput(InputError):
    """The input is hostile (entity expansion, external entities, ...) and was refused."""

    code = "unsafe_input"


class UnknownLanguage(InputError):
    """The language is not supported."""

    code = "unknown_language"


class FetchError(SyndicateError):
    """Fetching a URL failed."""

    code = "fetch"


class BlockedURL(FetchError):
    """The URL points at an address we refuse to contact (private, loopback, link-local, metadata)."""

    code = "blocked_url"


class TooLarge(FetchError):
    """The response body is larger than the configured cap."""

    code = "too_large"


class TooManyRedirects(FetchError):
    """The redirect chain is longer than the configured cap."""

    code = "too_many_redirects"


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    code = "http_status"

    def __init__(self, message: str = "", *, status: int, **context: object) -> None:
        super().__init__(message or f"HTTP {status}", status=status, **context)
        self.status = status


class Retriable(SyndicateError):
    """A temporary failure: the same call may succeed later."""

    code = "retriable"

    def __init__(self, message: str = "", *, retry_after: float | None = None, **context: object) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class FetchTimeout(Retriable, FetchError):
    """The server did not answer in time."""

    code = "timeout"


class RateLimited(Retriable, FetchError):
    """The server asked us to slow down (HTTP 429 or 503 with Retry-After)."""

    code = "rate_limited"


class ProviderUnavailable(Retriable):
    """A translation or summary provider failed (rate limit, 5xx, timeout or garbage)."""

    code = "provider_unavailable"


class DeliveryFailed(Retriable):
    """A partner endpoint did not accept a push."""

    code = "delivery_failed"


class AuthError(SyndicateError):
    """Missing or invalid credentials."""

    code = "unauthorized"


class Forbidden(SyndicateError):
    """The credentials do not allow this."""

    code = "forbidden"


class NotFound(SyndicateError):
    """No such object."""

    code = "not_found"


class Gone(SyndicateError):
    """The object was retracted."""

    code = "gone"


class Conflict(SyndicateError):
    """The request conflicts with the object's current state."""

    code = "conflict"


class LicenceForbids(SyndicateError):
    """The licence does not allow this action."""

    code = "licence_forbids"

    def __init__(self, message: str = "", *, action: str, **context: object) -> None:
        super().__init__(message, action=action, **context)
        self.action = action
