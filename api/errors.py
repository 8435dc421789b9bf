"""One error shape for every refusal of the API: {"error": {"status", "code", "message", "fields"}}.

Domain errors (core.errors), the framework's own (authentication, validation of the body and the query) and
Django's (404, permission denied) all answer in it; a failure nobody foresaw answers 500 in it too, with no
detail of what failed (that goes to the log)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from pydantic import BaseModel, Field

from core.errors import ApplicationError, NotAllowed, StaleEdit

logger = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    422: "invalid",
    428: "precondition_required",
    500: "server_error",
}
# where in the request a framework validation error was (the first part of its location), left off the field
LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file", "payload", "filters"}


class ErrorBody(BaseModel):
    status: int = Field(description="The HTTP status, repeated.")
    code: str = Field(description="A stable word for the kind of refusal, e.g. invalid, conflict, forbidden.")
    message: str = Field(description="What went wrong, in words for a person.")
    fields: dict[str, list[str]] = Field(
        default_factory=dict, description="Messages by field of the request (`__all__` for the whole)."
    )
    current_version: int | None = Field(
        default=None, description="On a conflict: the record's version now (read it again, then retry)."
    )


class ErrorOut(BaseModel):
    error: ErrorBody


class Refused(Exception):
    """A refusal with a status of its own (412 stale If-Match, 428 no version, 400 bad cursor)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        version: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.version = version


def error_response(
    status: int,
    message: str,
    *,
    fields: dict[str, list[str]] | None = None,
    version: int | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "status": status,
        "code": CODES.get(status, "error"),
        "message": message,
        "fields": fields or {},
    }
    if version is not None:
        body["current_version"] = version
    response = JsonResponse({"error": body}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="bearing"'
    return response


def _location(loc: Any) -> str:
    parts = [str(p) for p in (loc or ())]
    while parts and parts[0] in LOCATIONS:
        parts.pop(0)
    return ".".join(parts) or "__all__"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        message = str(error.get("msg") or "Invalid value.")
        fields.setdefault(_location(error.get("loc")), []).append(message)
    return fields


def install(api: NinjaAPI) -> None:
    """Answer every refusal of `api` in the one shape."""

    def handler(kind: type[Exception]) -> Any:
        return api.exception_handler(kind)

    @handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(422, "The request is not valid.", fields=validation_fields(list(exc.errors)))

    @handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, "Sign in, or send a personal API token: Authorization: Bearer brg_…")

    @handler(AuthorizationError)
    def _unauthorized(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return error_response(403, str(exc.message) if hasattr(exc, "message") else str(exc))

    @handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        message = str(exc) or "The request was refused."
        if message == "CSRF check Failed":
            message = (
                "The CSRF check failed: send the X-CSRFToken header with a session, or use an API token."
            )
        elif status == 400 and "parse" in message.lower():
            message = "The request body is not valid JSON."
        return error_response(status, message)

    @handler(Refused)
    def _refused(request: HttpRequest, exc: Refused) -> HttpResponse:
        return error_response(exc.status, exc.message, fields=exc.fields, version=exc.version)

    @handler(StaleEdit)
    def _stale(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
        return error_response(409, exc.message, version=getattr(exc.current, "version", None))

    @handler(NotAllowed)
    def _not_allowed(request: HttpRequest, exc: NotAllowed) -> HttpResponse:
        return error_response(403, exc.message)

    @handler(ApplicationError)
    def _application(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        fields = {("__all__" if k == "__all__" else k): list(v) for k, v in exc.field_errors.items()}
        return error_response(422, exc.message, fields=fields)

    @handler(PermissionDenied)
    def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(403, str(exc) or "Your role does not allow this.")

    @handler(Http404)
    def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(404, "There is no such record.")

    @handler(ObjectDoesNotExist)
    def _does_not_exist(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(404, "There is no such record.")

    @handler(Exception)
    def _unforeseen(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request %s %s failed", request.method, request.path)
        return error_response(500, "Something went wrong on our side; nothing was changed.")


def not_found(request: HttpRequest) -> HttpResponse:
    """Any other address under /api/v1/ (Django's 404 handler asks)."""
    return error_response(
        404, "There is no such address in the API. The schema lists them all: /api/v1/schema/"
    )
