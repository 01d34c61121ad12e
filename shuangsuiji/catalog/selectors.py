from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.selectors import visible_department_ids
from shuangsuiji.catalog.models import InspectionItem


def item_search(
    *, q: str = "", department: int | None = None, category: str = ""
) -> QuerySet[InspectionItem]:
    """抽查事项清单 are public (004 第六条): every staff member reads every department's list."""
    qs = InspectionItem.objects.select_related("department", "result_code_set").prefetch_related("components")
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__icontains=q) | Q(basis__contains=q))
    if department:
        qs = qs.filter(department_id=department)
    if category:
        qs = qs.filter(category=category)
    return qs


def item_editable_by(user: Any, item: InspectionItem | None) -> bool:
    """System admins maintain every list; a 抽查管理员 maintains their own department's."""
    if Role.SYSADMIN in user.role_set:
        return True
    if Role.MANAGER not in user.role_set:
        return False
    if item is None:
        return True
    ids = visible_department_ids(user)
    return ids is None or item.department_id in ids
