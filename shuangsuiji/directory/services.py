"""Writes to the two directories. Each runs in one transaction and records its audit event in it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.selectors import root_of
from shuangsuiji.audit.services import audit_record
from shuangsuiji.directory.models import Conflict, DirectoryListing, Entity, Inspector

ENTITY_FIELDS = Entity.EDITABLE_FIELDS
INSPECTOR_FIELDS = Inspector.EDITABLE_FIELDS


def _brief(obj: Any, fields: tuple[str, ...]) -> dict[str, str]:
    data = model_to_dict(obj, fields=list(fields))
    return {k: "" if v is None else str(v) for k, v in data.items()}


def _changes(before: dict[str, str], after: dict[str, str]) -> dict[str, Any]:
    changed = {k for k in after if before.get(k) != after[k]}
    return {
        "before": {k: before.get(k) for k in sorted(changed)},
        "after": {k: after[k] for k in sorted(changed)},
    }


@transaction.atomic
def entity_create(*, actor: Any, **fields: Any) -> Entity:
    """Create an entity and list it in the actor's bureau directory.

    If the USCC is already in the district register (entered by another department), the entity is
    listed in the actor's directory instead of duplicated; the caller is told by `created=False`."""
    entity = Entity(**{k: v for k, v in fields.items() if k in ENTITY_FIELDS})
    entity.uscc = entity.uscc or None
    entity.reg_no = entity.reg_no or None
    entity.full_clean()
    entity.save()
    if actor.department_id:
        DirectoryListing.objects.get_or_create(entity=entity, department=root_of(actor.department))
    audit_record(
        actor=actor,
        action="entity.create",
        obj=entity,
        summary=f"新增检查对象 {entity.name}",
        detail={"after": _brief(entity, ENTITY_FIELDS)},
    )
    return entity


def entity_existing_by_code(*, uscc: str | None, reg_no: str | None) -> Entity | None:
    if uscc:
        return Entity.objects.filter(uscc=uscc).first()
    if reg_no:
        return Entity.objects.filter(reg_no=reg_no).first()
    return None


@transaction.atomic
def entity_list_in_directory(*, actor: Any, entity: Entity) -> DirectoryListing:
    department = root_of(actor.department)
    listing, created = DirectoryListing.objects.get_or_create(entity=entity, department=department)
    if created:
        audit_record(
            actor=actor,
            action="entity.list",
            obj=entity,
            summary=f"将 {entity.name} 纳入 {department.name} 检查对象名录库",
        )
    return listing


@transaction.atomic
def entity_update(*, actor: Any, entity: Entity, **fields: Any) -> Entity:
    before = _brief(entity, ENTITY_FIELDS)
    for key, value in fields.items():
        if key in ENTITY_FIELDS:
            setattr(entity, key, value)
    entity.uscc = entity.uscc or None
    entity.reg_no = entity.reg_no or None
    entity.full_clean()
    entity.save()
    audit_record(
        actor=actor,
        action="entity.update",
        obj=entity,
        summary=f"修改检查对象 {entity.name}",
        detail=_changes(before, _brief(entity, ENTITY_FIELDS)),
    )
    return entity


@transaction.atomic
def inspector_create(*, actor: Any, **fields: Any) -> Inspector:
    inspector = Inspector(**{k: v for k, v in fields.items() if k in INSPECTOR_FIELDS})
    inspector.full_clean()
    inspector.save()
    audit_record(
        actor=actor,
        action="inspector.create",
        obj=inspector,
        summary=f"新增执法检查人员 {inspector.name}",
        detail={"after": _brief(inspector, INSPECTOR_FIELDS)},
    )
    return inspector


@transaction.atomic
def inspector_update(*, actor: Any, inspector: Inspector, **fields: Any) -> Inspector:
    before = _brief(inspector, INSPECTOR_FIELDS)
    for key, value in fields.items():
        if key in INSPECTOR_FIELDS:
            setattr(inspector, key, value)
    inspector.full_clean()
    inspector.save()
    audit_record(
        actor=actor,
        action="inspector.update",
        obj=inspector,
        summary=f"修改执法检查人员 {inspector.name}",
        detail=_changes(before, _brief(inspector, INSPECTOR_FIELDS)),
    )
    return inspector


@transaction.atomic
def conflict_declare(
    *, actor: Any, inspector: Inspector, entity: Entity, reason: str, declared_on: date
) -> Conflict:
    if Conflict.objects.filter(inspector=inspector, entity=entity).exists():
        raise ValidationError(f"{inspector.name} 与 {entity.name} 的回避申报已存在。")
    conflict = Conflict(
        inspector=inspector, entity=entity, reason=reason.strip(), declared_on=declared_on, declared_by=actor
    )
    conflict.full_clean()
    conflict.save()
    audit_record(
        actor=actor,
        action="conflict.declare",
        obj=conflict,
        summary=f"回避申报：{inspector.name}（{inspector.cert_no}）↔ {entity.name}",
        detail={"inspector": inspector.cert_no, "entity": entity.draw_key, "reason": conflict.reason},
    )
    return conflict


@transaction.atomic
def conflict_withdraw(*, actor: Any, conflict: Conflict) -> None:
    detail = {
        "inspector": conflict.inspector.cert_no,
        "entity": conflict.entity.draw_key,
        "reason": conflict.reason,
    }
    audit_record(
        actor=actor,
        action="conflict.withdraw",
        obj=conflict,
        summary=f"撤回回避申报：{conflict.inspector.name} ↔ {conflict.entity.name}",
        detail=detail,
    )
    conflict.delete()


def department_choices_for(user: Any) -> Any:
    from shuangsuiji.accounts.selectors import departments_for

    return departments_for(user).filter(is_active=True)


__all__ = ["Department"]
