"""Reads of the two directories, always scoped to what the user's department may see."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from shuangsuiji.accounts.selectors import visible_department_ids
from shuangsuiji.directory.models import Conflict, DirectoryListing, Entity, Inspector

_CODE_LIKE = re.compile(r"^[0-9A-Z]{15,18}$")


def entity_ids_by_draw_key(keys: Collection[str], *, old_reg_no: bool = False) -> dict[str, int]:
    """The id of the entity each key names as its `Entity.draw_key`: the entity with that USCC, else the entity
    without a USCC with that registration number. Keys that name no entity are left out. ``old_reg_no``: else
    also an entity that has a USCC by now (a list drawn elsewhere may know it by its registration number).

    On PostgreSQL one `= ANY(array)` probe of each unique index (a draw stores 10^5–10^6 keys: an `IN` list of
    that many parameters is slower to build than to run); elsewhere in batches of `IN`."""
    keys = list(dict.fromkeys(keys))
    found: dict[str, int] = {}
    if connection.vendor == "postgresql":
        table = Entity._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT uscc, id FROM {table} WHERE uscc = ANY(%s)", [keys])  # noqa: S608  # nosec B608
            found.update(cursor.fetchall())
            rest = [k for k in keys if k not in found]
            if rest:
                cursor.execute(
                    f"SELECT reg_no, id FROM {table} WHERE reg_no = ANY(%s)"  # noqa: S608  # nosec B608
                    + ("" if old_reg_no else " AND uscc IS NULL"),
                    [rest],
                )
                found.update(cursor.fetchall())
        return found
    batch = 5_000
    for i in range(0, len(keys), batch):
        for uscc, pk in Entity.objects.filter(uscc__in=keys[i : i + batch]).values_list("uscc", "pk"):
            found[str(uscc)] = pk
    rest = [k for k in keys if k not in found]
    for i in range(0, len(rest), batch):
        by_reg_no = Entity.objects.filter(reg_no__in=rest[i : i + batch])
        if not old_reg_no:
            by_reg_no = by_reg_no.filter(uscc=None)
        for reg_no, pk in by_reg_no.values_list("reg_no", "pk"):
            found[str(reg_no)] = pk
    return found


def entities_visible_to(user: Any) -> QuerySet[Entity]:
    ids = visible_department_ids(user)
    qs = Entity.objects.all()
    if ids is None:
        return qs
    listed = DirectoryListing.objects.filter(entity=OuterRef("pk"), department_id__in=ids)
    return qs.filter(Q(jurisdiction_id__in=ids) | Q(Exists(listed)))


@dataclass
class EntityFilters:
    q: str = ""
    jurisdiction: int | None = None
    status: str = ""
    entity_type: str = ""
    credit_risk_class: str = ""
    fire_safety_category: str = ""
    town: str = ""


def entity_search(user: Any, filters: EntityFilters) -> QuerySet[Entity]:
    qs = entities_visible_to(user).select_related("jurisdiction")
    q = filters.q.strip()
    if q:
        compact = q.replace(" ", "").upper()
        if _CODE_LIKE.match(compact):
            # A code is looked up exactly on ONE unique index, chosen by its shape (an OR of the two
            # lets SQLite's planner fall back to a full scan once statistics exist).
            qs = qs.filter(uscc=compact) if len(compact) == 18 else qs.filter(reg_no=compact)
        else:
            qs = qs.filter(Q(name__contains=q) | Q(legal_representative=q))
    for field in ("status", "entity_type", "credit_risk_class", "fire_safety_category", "town"):
        value = getattr(filters, field)
        if value:
            qs = qs.filter(**{field: value})
    if filters.jurisdiction:
        qs = qs.filter(jurisdiction_id=filters.jurisdiction)
    return qs


def entity_get(user: Any, pk: int) -> Entity | None:
    return entities_visible_to(user).select_related("jurisdiction").filter(pk=pk).first()


def inspectors_visible_to(user: Any) -> QuerySet[Inspector]:
    ids = visible_department_ids(user)
    qs = Inspector.objects.select_related("department")
    return qs if ids is None else qs.filter(department_id__in=ids)


def inspector_search(
    user: Any, *, q: str = "", department: int | None = None, qualified: str = ""
) -> QuerySet[Inspector]:
    qs = inspectors_visible_to(user)
    if q.strip():
        qs = qs.filter(Q(name__contains=q.strip()) | Q(cert_no__icontains=q.strip()))
    if department:
        qs = qs.filter(department_id=department)
    if qualified == "yes":
        qs = qs.filter(qualified=True, on_duty=True)
    elif qualified == "no":
        qs = qs.filter(Q(qualified=False) | Q(on_duty=False))
    return qs


def conflicts_visible_to(user: Any) -> QuerySet[Conflict]:
    ids = visible_department_ids(user)
    qs = Conflict.objects.select_related("inspector", "inspector__department", "entity")
    return qs if ids is None else qs.filter(inspector__department_id__in=ids)
