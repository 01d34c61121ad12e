"""Passwords expire (等保: 口令定期更换): after `PASSWORD_MAX_AGE_DAYS` the user can only change it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone


class SecondFactorMiddleware:
    """等保 身份鉴别 (two factors): the three admin roles must verify a TOTP code after the password;
    anyone who enrolled a device must too. Until then only the verification page and sign-out open."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.path.startswith("/staff/"):
            from shuangsuiji.accounts.second_factor import needs_second_factor

            allowed = (
                reverse("accounts:second_factor"),
                reverse("accounts:second_factor_qr"),
                reverse("accounts:logout"),
            )
            if request.path not in allowed and needs_second_factor(user) and not user.is_verified():
                return redirect(f"{reverse('accounts:second_factor')}?next={request.path}")
        return self.get_response(request)


class PasswordExpiryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        max_age = settings.PASSWORD_MAX_AGE_DAYS
        if max_age and user is not None and user.is_authenticated and request.path.startswith("/staff/"):
            changed = getattr(user, "password_changed_at", None)
            # The second factor comes first (SecondFactorMiddleware runs before this one): never send its
            # pages here, or the two redirects would chase each other.
            allowed = (
                reverse("accounts:password_change"),
                reverse("accounts:logout"),
                reverse("accounts:second_factor"),
                reverse("accounts:second_factor_qr"),
            )
            if (
                changed is None or changed < timezone.now() - timedelta(days=max_age)
            ) and request.path not in allowed:
                from django.contrib import messages

                messages.warning(
                    request, f"您的密码已超过 {max_age} 天未修改（或为初始密码），请先修改密码。"
                )
                return redirect("accounts:password_change")
        return self.get_response(request)
