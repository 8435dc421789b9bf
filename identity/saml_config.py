"""The SAML settings that are read and checked when the settings load (certificates, keys, addresses), so a
configuration that cannot work stops the server with a message naming the variable. No Django import here:
config.settings uses it."""

from __future__ import annotations

import base64
import binascii
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization


class SamlConfigError(ValueError):
    pass


_PEM_ARMOUR = re.compile(r"-----(BEGIN|END) [A-Z ]+-----")


def certificate_body(raw: str) -> str:
    """An X.509 certificate, in PEM or as its base64 body on one line (as the providers' pages show it),
    returned as the base64 body; a value that is no certificate is refused."""
    body = "".join(_PEM_ARMOUR.sub("", raw).split())
    try:
        x509.load_der_x509_certificate(base64.b64decode(body, validate=True))
    except (binascii.Error, ValueError):
        raise SamlConfigError("is not an X.509 certificate (PEM, or its base64 body)") from None
    return body


def private_key_pem(raw: str) -> str:
    """An unencrypted private key in PEM (line breaks may be written as \\n); refused when it is not one."""
    text = raw.replace("\\n", "\n").strip()
    try:
        serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError):
        raise SamlConfigError("is not an unencrypted private key in PEM") from None
    return text


def http_address(raw: str) -> str:
    if not raw.startswith(("https://", "http://")):
        raise SamlConfigError("is not an http(s) address")
    return raw
