"""TOTP second factor (django-otp): required for the three admin roles, optional for everyone else."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from shuangsuiji.accounts.roles import ADMIN_ROLES
from shuangsuiji.audit.services import audit_record

DEVICE_NAME = "身份验证器"


def needs_second_factor(user: Any) -> bool:
    return bool(user.role_set & ADMIN_ROLES) or TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def device_for(user: Any) -> TOTPDevice:
    """The user's confirmed device, or the pending one being enrolled (created on first visit)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def current_token(device: TOTPDevice) -> str:
    """The code an authenticator shows now (debug-mode hint and tests only)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


@transaction.atomic
def second_factor_verify(*, request: Any, token: str, ip: str = "") -> bool:
    user = request.user
    device = device_for(user)
    ok = device.verify_token(token.strip().replace(" ", ""))
    enrolling = not device.confirmed
    if ok:
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        otp_login(request, device)
    audit_record(
        actor=user,
        action="login.second_factor",
        obj=user,
        ip=ip,
        success=ok,
        summary=("绑定身份验证器" if enrolling else "两步验证") + ("成功" if ok else "失败"),
    )
    return bool(ok)
