"""Strict parsing of settings from the environment.

A typo in a deployment variable must stop the server at start-up with a message that says which
variable and why, never fall back silently to an insecure default.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"环境变量 {name}={raw!r} 不是布尔值；请使用 1/0、true/false、yes/no 或 on/off。"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"环境变量 {name}={raw!r} 不是整数。") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"环境变量 {name}={value} 小于允许的最小值 {minimum}。")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"环境变量 {name}={raw!r} 含空项；请用英文逗号分隔，不要留空。")
    return items
