from __future__ import annotations

from typing import Any

from django.db import transaction

from shuangsuiji.audit.services import audit_record
from shuangsuiji.catalog.models import InspectionItem

FIELDS = (
    "code",
    "name",
    "basis",
    "object_type",
    "category",
    "methods",
    "department",
    "default_rate_bp",
    "plan_note",
    "period_note",
    "result_code_set",
    "is_active",
)


@transaction.atomic
def item_save(
    *, actor: Any, item: InspectionItem | None, components: Any = None, **fields: Any
) -> InspectionItem:
    created = item is None
    item = item or InspectionItem()
    before = {k: str(getattr(item, k, "")) for k in FIELDS} if not created else {}
    for key in FIELDS:
        if key in fields:
            setattr(item, key, fields[key])
    item.full_clean()
    item.save()
    if components is not None:
        item.components.set(components)
    after = {k: str(getattr(item, k)) for k in FIELDS}
    changed = {k: after[k] for k in after if before.get(k) != after[k]}
    audit_record(
        actor=actor,
        action="item.create" if created else "item.update",
        obj=item,
        summary=f"{'新增' if created else '修改'}抽查事项 {item.name}",
        detail={"before": {k: before.get(k) for k in changed}, "after": changed},
    )
    return item
