"""Validation rules shared by every app."""

from __future__ import annotations

from django.core.validators import RegexValidator

# A reference code (an objective's T1 or O1.2) is typed into spreadsheets, file names and links: it starts with
# a letter or a digit, so that no spreadsheet reads it as a formula (= + - @), and holds no space or quote.
# \A and \Z, not ^ and $: "$" also matches before a final newline.
CODE_VALIDATOR = RegexValidator(
    r"\A[A-Za-z0-9][A-Za-z0-9._/-]*\Z",
    "Start with a letter or a digit, then use only letters, digits and . - _ / (e.g. O1.2).",
    code="invalid_code",
)
