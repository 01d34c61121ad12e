from typing import Any, cast

from django import forms


def set_queryset(form: forms.BaseForm, name: str, queryset: Any) -> None:
    """Narrow a model choice field to what the user may pick (their department scope)."""
    cast(forms.ModelChoiceField, form.fields[name]).queryset = queryset  # type: ignore[type-arg]
