from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from shuangsuiji.catalog.models import InspectionItem, Method
from shuangsuiji.core.forms import set_queryset


class InspectionItemForm(forms.ModelForm[InspectionItem]):
    methods = forms.MultipleChoiceField(
        label="检查方式", choices=Method.choices, widget=forms.CheckboxSelectMultiple
    )
    default_rate_percent = forms.DecimalField(
        label="默认抽查比例（%）",
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        decimal_places=2,
    )

    class Meta:
        model = InspectionItem
        fields = [
            "code",
            "name",
            "basis",
            "object_type",
            "category",
            "methods",
            "department",
            "components",
            "plan_note",
            "period_note",
            "result_code_set",
            "is_active",
        ]
        widgets = {"basis": forms.Textarea(attrs={"rows": 3}), "components": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if departments is not None:
            set_queryset(self, "department", departments)
        if self.instance.pk and self.instance.default_rate_bp is not None:
            self.initial["default_rate_percent"] = Decimal(self.instance.default_rate_bp) / 100
        only_simple_items = InspectionItem.objects.exclude(pk=self.instance.pk).filter(
            components__isnull=True
        )
        set_queryset(self, "components", only_simple_items)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rate = data.get("default_rate_percent")
        data["default_rate_bp"] = int(rate * 100) if rate is not None else None
        return data
