"""Department scope: which departments' data a user may read."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.roles import CROSS_DEPARTMENT_ROLES


def department_subtree(department: Department) -> QuerySet[Department]:
    return Department.objects.filter(path__startswith=department.path)


def visible_department_ids(user: Any) -> frozenset[int] | None:
    """The ids of the departments whose data the user reads, or None for every department.

    Cached on the user object for the request."""
    if hasattr(user, "_visible_departments"):
        cached: frozenset[int] | None = user._visible_departments
        return cached
    result: frozenset[int] | None
    if user.role_set & CROSS_DEPARTMENT_ROLES:
        result = None
    elif user.department_id is None:
        result = frozenset()
    else:
        result = frozenset(department_subtree(user.department).values_list("id", flat=True))
    user._visible_departments = result
    return result


def departments_for(user: Any) -> QuerySet[Department]:
    ids = visible_department_ids(user)
    qs = Department.objects.all()
    return qs if ids is None else qs.filter(id__in=ids)


def root_of(department: Department) -> Department:
    root_id = int(department.path.strip("/").split("/")[0])
    return department if root_id == department.id else Department.objects.get(pk=root_id)


def user_list(*, query: str = "", department: Department | None = None) -> QuerySet[User]:
    qs = User.objects.select_related("department").prefetch_related("role_grants").order_by("username")
    if query:
        from django.db.models import Q

        qs = qs.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    if department is not None:
        qs = qs.filter(department__path__startswith=department.path)
    return qs
