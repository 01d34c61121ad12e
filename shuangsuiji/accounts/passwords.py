from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """等保 level 3: passwords mix at least 3 of 4 classes (upper, lower, digit, symbol)."""

    def validate(self, password: str, user: object = None) -> None:
        classes = [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少三类。", code="password_too_simple"
            )

    def get_help_text(self) -> str:
        return "至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类。"
