from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.core.forms import set_queryset
from shuangsuiji.directory.codes import clean_cert_no, clean_reg_no, clean_uscc
from shuangsuiji.directory.models import Conflict, Entity, Inspector


class EntityForm(forms.ModelForm[Entity]):
    class Meta:
        model = Entity
        fields = list(Entity.EDITABLE_FIELDS)
        widgets = {"established_on": forms.DateInput(attrs={"type": "date"})}
        help_texts = {"uscc": "18 位；全角字符和空格会自动转换、去除。无统一社会信用代码的填写注册号。"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "jurisdiction", Department.objects.filter(is_active=True))
        for name in ("name", "legal_representative", "address"):
            cast(
                forms.CharField, self.fields[name]
            ).strip = False  # names keep their exact characters; only trimmed below

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip(" \u3000\u00a0\ufeff")

    def clean_uscc(self) -> str | None:
        value = self.cleaned_data.get("uscc") or ""
        return clean_uscc(value) if value.strip() else None

    def clean_reg_no(self) -> str | None:
        value = self.cleaned_data.get("reg_no") or ""
        return clean_reg_no(value) if value.strip() else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("uscc") and not data.get("reg_no") and not self.errors.get("uscc"):
            self.add_error("uscc", "请填写统一社会信用代码；没有的，填写注册号。")
        return data


class InspectorForm(forms.ModelForm[Inspector]):
    class Meta:
        model = Inspector
        fields = list(Inspector.EDITABLE_FIELDS)

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if departments is not None:
            set_queryset(self, "department", departments)

    def clean_cert_no(self) -> str:
        return clean_cert_no(self.cleaned_data["cert_no"])


class ConflictForm(forms.Form):
    cert_no = forms.CharField(label="执法证号", max_length=40)
    entity_code = forms.CharField(label="检查对象统一社会信用代码/注册号", max_length=40)
    reason = forms.CharField(label="利害关系", max_length=200)
    declared_on = forms.DateField(label="申报日期", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["declared_on"].initial = timezone.localdate()

    def clean_cert_no(self) -> str:
        return clean_cert_no(self.cleaned_data["cert_no"])


__all__ = ["Conflict", "ConflictForm", "EntityForm", "InspectorForm"]
