from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone


class CharacterClassValidator:
    """等保 level 3: passwords mix at least 3 of 4 classes (upper, lower, digit, symbol)."""

    def validate(self, password: str, user: object = None) -> None:
        classes = [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        from shuangsuiji.demo.county import DEMO_PASSWORD

        if password == DEMO_PASSWORD and not settings.DEBUG:
            raise ValidationError("不能使用演示密码。", code="demo_password")
        if sum(classes) < 3:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少三类。", code="password_too_simple"
            )

    def get_help_text(self) -> str:
        return "至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类。"


class PasswordHistoryValidator:
    """The new password may not be any of the last five (等保 身份鉴别). Also stamps the change time,
    from which passwords expire after `PASSWORD_MAX_AGE_DAYS`."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        from shuangsuiji.accounts.models import PasswordHistory

        recent = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
            : settings.PASSWORD_HISTORY
        ]
        if any(check_password(password, old) for old in recent):
            raise ValidationError(
                f"新密码不能与最近 {settings.PASSWORD_HISTORY} 次使用过的密码相同。", code="password_reused"
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        from shuangsuiji.accounts.models import PasswordHistory, User

        if user is None or not getattr(user, "pk", None):
            return
        PasswordHistory.objects.create(user=user, password=user.password)
        User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now())
        user.password_changed_at = timezone.now()
        keep = list(
            PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
                : settings.PASSWORD_HISTORY
            ]
        )
        PasswordHistory.objects.filter(user=user).exclude(pk__in=keep).delete()

    def get_help_text(self) -> str:
        return f"不能与最近 {settings.PASSWORD_HISTORY} 次使用过的密码相同。"
