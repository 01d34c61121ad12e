from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from shuangsuiji.accounts.models import Department, RoleGrant, User
from shuangsuiji.accounts.roles import ADMIN_ROLES, Role
from shuangsuiji.audit.services import audit_record


def _check_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles))
    unknown = [r for r in chosen if r not in Role.values]
    if unknown:
        raise ValidationError(f"未知角色：{'、'.join(unknown)}")
    admins = [Role(r).label for r in chosen if r in ADMIN_ROLES]
    if len(admins) > 1:
        raise ValidationError(f"三员分立：同一账号不能同时担任{'和'.join(admins)}。")
    if admins and len(chosen) > 1:
        raise ValidationError(f"{admins[0]}账号不能兼任业务角色。")
    return chosen


def _path_for(department: Department) -> str:
    parent_path = department.parent.path if department.parent is not None else "/"
    return f"{parent_path}{department.pk}/"


@transaction.atomic
def department_create(
    *, actor: Any, code: str, name: str, parent: Department | None = None, **fields: Any
) -> Department:
    department = Department(code=code.strip().upper(), name=name.strip(), parent=parent, **fields)
    department.full_clean(exclude=["path"])
    department.save()
    department.path = _path_for(department)
    department.save(update_fields=["path"])
    audit_record(
        actor=actor,
        action="department.create",
        obj=department,
        summary=f"新建部门 {department.name}",
        detail={"code": department.code, "parent": parent.code if parent else None},
    )
    return department


@transaction.atomic
def department_update(*, actor: Any, department: Department, **fields: Any) -> Department:
    before = {k: getattr(department, k) for k in fields}
    for key, value in fields.items():
        setattr(department, key, value)
    parent = department.parent
    while parent is not None:
        if parent.pk == department.pk:
            raise ValidationError("上级部门不能是本部门或其下级部门。")
        parent = parent.parent
    department.full_clean(exclude=["path"])
    old_path = department.path
    department.path = _path_for(department)
    department.save()
    if old_path != department.path:
        for child in Department.objects.filter(path__startswith=old_path).exclude(pk=department.pk):
            child.path = department.path + child.path[len(old_path) :]
            child.save(update_fields=["path"])
    audit_record(
        actor=actor,
        action="department.update",
        obj=department,
        summary=f"修改部门 {department.name}",
        detail={
            "before": {k: str(v) for k, v in before.items()},
            "after": {k: str(v) for k, v in fields.items()},
        },
    )
    return department


def _must_change_at_next_login(user: User) -> None:
    """A password someone else set (initial or reset) must be changed by its owner at first sign-in."""
    User.objects.filter(pk=user.pk).update(password_changed_at=None)
    user.password_changed_at = None


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    full_name: str,
    department: Department | None,
    roles: Iterable[str],
    password: str,
    is_active: bool = True,
) -> User:
    from django.contrib.auth.password_validation import validate_password

    chosen = _check_roles(roles)
    user = User(
        username=username.strip(), full_name=full_name.strip(), department=department, is_active=is_active
    )
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    user.save()
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in chosen])
    _must_change_at_next_login(user)
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        summary=f"新建账号 {user.username}",
        detail={"roles": chosen, "department": department.code if department else None},
    )
    return user


@transaction.atomic
def user_update(
    *,
    actor: Any,
    user: User,
    full_name: str,
    department: Department | None,
    roles: Iterable[str],
    is_active: bool,
) -> User:
    chosen = _check_roles(roles)
    before = {
        "full_name": user.full_name,
        "department": user.department.code if user.department else None,
        "roles": sorted(user.role_set),
        "is_active": user.is_active,
    }
    user.full_name, user.department, user.is_active = full_name.strip(), department, is_active
    user.full_clean(exclude=["password"])
    user.save()
    RoleGrant.objects.filter(user=user).exclude(role__in=chosen).delete()
    existing = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in chosen if r not in existing])
    user.__dict__.pop("_role_cache", None)
    after = {
        "full_name": user.full_name,
        "department": department.code if department else None,
        "roles": chosen,
        "is_active": is_active,
    }
    audit_record(
        actor=actor,
        action="user.update",
        obj=user,
        summary=f"修改账号 {user.username}",
        detail={"before": before, "after": after},
    )
    return user


@transaction.atomic
def user_set_password(*, actor: Any, user: User, password: str) -> None:
    from django.contrib.auth.password_validation import validate_password

    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    if actor != user:
        _must_change_at_next_login(user)
    audit_record(actor=actor, action="user.set_password", obj=user, summary=f"重置 {user.username} 的密码")


@transaction.atomic
def user_unlock(*, actor: Any, username: str) -> int:
    from axes.utils import reset

    count = reset(username=username)
    audit_record(
        actor=actor,
        action="user.unlock",
        object_type="accounts.user",
        object_id=username,
        summary=f"解锁账号 {username}",
        detail={"cleared_attempts": count},
    )
    return int(count)
