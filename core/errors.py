"""The one domain error family. Views turn these into form errors, 403 or 409 responses."""

from __future__ import annotations

from typing import Any

from django.utils.text import capfirst


class ApplicationError(Exception):
    """A use case refused: `message` for the page, `field_errors` for the fields that caused it."""

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class NotAllowed(ApplicationError):
    """The user's role does not permit this action; nothing was changed."""


class StaleEdit(ApplicationError):
    """Someone saved the record after this user opened it; `current` is the record as it is now."""

    def __init__(self, current: Any) -> None:
        super().__init__(
            f"{capfirst(type(current)._meta.verbose_name)} “{current}” was changed by someone else while "
            "you were editing. Your changes were not saved. Review the current values below and save again "
            "if yours should win."
        )
        self.current = current
