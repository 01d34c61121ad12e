"""Writes of the public record: results at publication and correction, item-list versions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.audit.services import audit_record
from shuangsuiji.catalog.models import InspectionItem
from shuangsuiji.directory.models import Entity, EntityType
from shuangsuiji.disclosure.models import ItemListVersion, PublishedResult
from shuangsuiji.inspections.models import InspectionRecord, Result


def mask_person(name: str) -> str:
    """张三丰 → 张**: the surname stays, the rest is masked (a 个体工商户's operator is a natural person)."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def public_representative(entity: Entity) -> str:
    if entity.entity_type == EntityType.INDIVIDUAL:
        return mask_person(entity.legal_representative)
    if entity.entity_type in (EntityType.COMPANY, EntityType.COOPERATIVE):
        return entity.legal_representative
    return ""


def results_publish(record: InspectionRecord) -> int:
    """Called inside `record_publish`'s transaction: one public row per current result."""
    entity = record.entity
    inspected = record.inspected_to or record.inspected_from or timezone.localdate()
    rows = [
        PublishedResult(
            record=record,
            result=result,
            task_id=record.task_id,
            entity_name=entity.name,
            entity_code=entity.uscc or entity.reg_no or "",
            representative=public_representative(entity),
            department=result.part.department,
            department_name=result.part.department.name,
            item=result.item,
            item_name=result.item.name,
            code_number=result.code.number if result.code else 0,
            code_label=result.code.label if result.code else "",
            is_problem=bool(result.code and result.code.is_problem),
            inspected_on=inspected,
            year=inspected.year,
            published_at=record.published_at or timezone.now(),
        )
        for result in Result.objects.filter(part__record=record, current=True).select_related(
            "part__department", "item", "code"
        )
    ]
    PublishedResult.objects.bulk_create(rows)
    return len(rows)


def result_correct(old: Result, new: Result) -> None:
    """Called inside an approved correction: the public row now shows the new result and the date."""
    row = PublishedResult.objects.filter(result=old).first()
    if row is None:
        return
    row.previous_label = row.code_label
    row.result = new
    row.code_number = new.code.number if new.code else 0
    row.code_label = new.code.label if new.code else ""
    row.is_problem = bool(new.code and new.code.is_problem)
    row.corrected_at = timezone.now()
    row.save()


def _snapshot(department: Department) -> list[dict[str, Any]]:
    items = InspectionItem.objects.filter(department=department, is_active=True).prefetch_related(
        "components"
    )
    return [
        {
            "code": i.code,
            "name": i.name,
            "basis": i.basis,
            "object_type": i.object_type,
            "category": i.get_category_display(),
            "methods": i.method_labels(),
            "rate": i.default_rate_percent,
            "plan_note": i.plan_note,
            "period_note": i.period_note,
            "components": [c.code for c in i.components.all()],
        }
        for i in items.order_by("code")
    ]


@transaction.atomic
def item_list_publish(*, actor: Any, department: Department, note: str = "") -> ItemListVersion:
    items = _snapshot(department)
    if not items:
        raise ValidationError("本部门没有有效的抽查事项，无法发布清单。")
    latest = ItemListVersion.objects.filter(department=department).order_by("-version").first()
    if latest is not None and latest.items == items:
        raise ValidationError(f"清单与已发布的第{latest.version}版相同，无需重新发布。")
    number = (ItemListVersion.objects.filter(department=department).aggregate(n=Max("version"))["n"] or 0) + 1
    version = ItemListVersion.objects.create(
        department=department,
        version=number,
        items=items,
        note=note.strip(),
        published_by=actor,
        published_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="disclosure.item_list_publish",
        obj=version,
        summary=f"发布 {department.name} 抽查事项清单第{number}版（{len(items)} 项）",
    )
    return version
