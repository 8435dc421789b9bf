"""The second factor of local accounts (django-otp): a TOTP app enrolled with a QR code, and ten one-time
recovery codes for when the phone is lost. Admins must have one when BEARING_REQUIRE_2FA_FOR_ADMINS is on."""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import roles
from core.errors import ApplicationError, NotAllowed
from identity.models import EventKind
from identity.services import ADMIN_ONLY, event_record

RECOVERY_CODES = 10
DEVICE_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def required_for(user: Any) -> bool:
    """Whether this account must have a second factor: admins, when the configuration says so."""
    return settings.BEARING_REQUIRE_2FA_FOR_ADMINS and roles.can_administer(user)


def app_device(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def enabled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enrolment_device(user: Any) -> TOTPDevice:
    """The unconfirmed TOTP device an enrolment shows as a QR code (made once, until it is confirmed)."""
    device = app_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as a QR code: an SVG drawn here, as a data: URI (no request leaves)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def secret_text(device: TOTPDevice) -> str:
    """The secret as an app asks for it when typed in by hand: base32, in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _clean(code: str) -> str:
    return "".join(code.split()).lower()


def _new_recovery_codes(user: Any) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def enrol_confirm(*, request: HttpRequest, user: Any, code: str) -> list[str]:
    """Confirm the enrolment with a code from the app: the second factor is on, this session counts as
    verified, and the ten recovery codes are returned (shown once)."""
    device = app_device(user, confirmed=False)
    if device is None or not device.verify_token(_clean(code)):
        raise ApplicationError(
            "That code is not right.", field_errors={"code": ["That code is not right: try the current one."]}
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        event_record(kind=EventKind.TWO_FACTOR_ON, subject=user, actor=user, request=request)
    otp_login(request, device)
    return codes


def recovery_codes_renew(*, request: HttpRequest, user: Any, code: str) -> list[str]:
    """Ten new recovery codes (the old ones stop working), for someone who proves they have the app."""
    device = app_device(user)
    if device is None:
        raise ApplicationError("The second factor is not on.")
    if not device.verify_token(_clean(code)):
        raise ApplicationError("That code is not right.", field_errors={"code": ["That code is not right."]})
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        event_record(kind=EventKind.RECOVERY_CODES_NEW, subject=user, actor=user, request=request)
    return codes


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()


def verify(*, user: Any, code: str) -> tuple[Any, bool] | None:
    """The device that accepts `code` (an app's code, or a recovery code, which then stops working), and
    whether it was a recovery code; None when neither does."""
    token = _clean(code)
    device = app_device(user)
    if device is not None and token.isdigit() and device.verify_token(token):
        return device, False
    for recovery in StaticDevice.objects.filter(user=user, confirmed=True):
        if recovery.verify_token(token):
            return recovery, True
    return None


def turn_off(*, request: HttpRequest, actor: Any, user: Any, code: str = "") -> None:
    """Remove an account's second factor: by its holder with a current code (not while it is required of
    them), or by an admin for someone who lost their phone."""
    if actor.pk == user.pk:
        if required_for(user):
            raise ApplicationError("Administrators must keep a second factor: it is required here.")
        if verify(user=user, code=code) is None:
            raise ApplicationError(
                "That code is not right.", field_errors={"code": ["That code is not right."]}
            )
    elif not roles.can_administer(actor):
        raise NotAllowed(ADMIN_ONLY)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        detail = "" if actor.pk == user.pk else f"by {actor.get_username()}"
        event_record(kind=EventKind.TWO_FACTOR_OFF, subject=user, actor=actor, request=request, detail=detail)
