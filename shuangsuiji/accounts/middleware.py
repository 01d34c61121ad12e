"""Passwords expire (等保: 口令定期更换): after `PASSWORD_MAX_AGE_DAYS` the user can only change it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone


class PasswordExpiryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        max_age = settings.PASSWORD_MAX_AGE_DAYS
        if max_age and user is not None and user.is_authenticated and request.path.startswith("/staff/"):
            changed = getattr(user, "password_changed_at", None)
            allowed = (reverse("accounts:password_change"), reverse("accounts:logout"))
            if (
                changed is None or changed < timezone.now() - timedelta(days=max_age)
            ) and request.path not in allowed:
                from django.contrib import messages

                messages.warning(
                    request, f"您的密码已超过 {max_age} 天未修改（或为初始密码），请先修改密码。"
                )
                return redirect("accounts:password_change")
        return self.get_response(request)
