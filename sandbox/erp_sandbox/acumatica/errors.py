"""Acumatica's error bodies and the errors the emulator answers with.

Entity routes answer with the spec's ``HttpError`` (``message``, ``exceptionMessage``,
``exceptionType``, ``stackTrace``), as ASP.NET Web API renders an exception, e.g. a
recorded 500: ``{"message": "An error has occurred.", "exceptionMessage": "Optimization
cannot be performed. …", "exceptionType": "PX.Api.ContractBased.OptimizedExport.
CannotOptimizeException", "stackTrace": "   at …"}`` (AcumaticaRESTAPIClientForCSharp#12).
The token endpoint answers with OAuth 2.0 ``{"error", "error_description"}`` bodies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
#: The spec's description of every 401 response (reference A2).
NOT_LOGGED_IN = "The user is not logged in to the system."
AN_ERROR_HAS_OCCURRED = "An error has occurred."
#: What Acumatica says when the licence's API user limit is reached (reference A4).
API_LOGIN_LIMIT = "API Login Limit"


@dataclass
class AcumaticaError(Exception):
    """An error response in the ``HttpError`` shape.

    ``exception_message`` empty means a plain ``{"message"}`` body (authorization
    failures); otherwise the body has the exception fields too.
    """

    status: int
    message: str = AN_ERROR_HAS_OCCURRED
    exception_message: str = ""
    exception_type: str = "PX.Data.PXException"
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status}: {self.exception_message or self.message}")

    def body(self) -> dict[str, str]:
        """The JSON body."""
        if not self.exception_message:
            return {"message": self.message}
        return {
            "message": self.message,
            "exceptionMessage": self.exception_message,
            "exceptionType": self.exception_type,
            "stackTrace": f"   at {self.exception_type}..ctor()\r\n"
            "   at PX.Api.ContractBased.SystemContracts.V2.RestController.GetList(...)",
        }

    def encode(self) -> bytes:
        """The body as bytes."""
        return json.dumps(self.body(), separators=(",", ":")).encode()


def not_logged_in() -> AcumaticaError:
    """401 for a request without a live session or bearer token."""
    return AcumaticaError(401, NOT_LOGGED_IN, headers={"WWW-Authenticate": "Bearer"})


def invalid_token() -> AcumaticaError:
    """401 for an unknown, expired or revoked bearer token (inferred challenge)."""
    return AcumaticaError(
        401, NOT_LOGGED_IN, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


def api_login_limit() -> AcumaticaError:
    """429 for a sign-in over the licence's API user limit (reference A3/A4)."""
    return AcumaticaError(429, exception_message=API_LOGIN_LIMIT)


def request_declined() -> AcumaticaError:
    """429 for a request the licence queue declines (more than 20 waiting, or waiting
    longer than 10 minutes; reference A4, wording inferred)."""
    return AcumaticaError(
        429,
        exception_message="The request has been declined because the number of requests "
        "waiting in the queue exceeds the limit of the license.",
        exception_type="PX.Api.ApiRequestDeclinedException",
    )


def bad_request(detail: str) -> AcumaticaError:
    """500 for a query Acumatica cannot run (filter, select, expand, custom): the spec
    documents only 200, 401 and 500 for GET (inferred status)."""
    return AcumaticaError(
        500, exception_message=detail, exception_type="PX.Api.ContractBased.OData.ODataException"
    )


def no_entity() -> AcumaticaError:
    """500 for a GET by keys or id that finds nothing (wording inferred)."""
    return AcumaticaError(
        500,
        exception_message="No entity satisfies the condition.",
        exception_type="PX.Api.ContractBased.NoEntitySatisfiesTheConditionException",
    )


def fault_error(status: int) -> AcumaticaError:
    """The body of an injected fault."""
    if status == 401:
        return not_logged_in()
    if status == 429:
        return request_declined()
    if status >= 500:
        return AcumaticaError(
            status, exception_message="An unexpected error occurred while processing the request."
        )
    return AcumaticaError(status, exception_message="The request could not be processed.")


def headers_for(error: AcumaticaError) -> list[tuple[bytes, bytes]]:
    """Raw ASGI headers of an error response (without content-length)."""
    headers = [(b"content-type", JSON_CONTENT_TYPE.encode())]
    headers.extend((k.lower().encode(), v.encode()) for k, v in error.headers.items())
    return headers
