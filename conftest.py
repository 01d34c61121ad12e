"""Shared fixtures: the demo county (small) and its fixed cast of users, one per role and department."""

from __future__ import annotations

from typing import Any

import pytest

COUNTY_SIZE = 400


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Load a small demo county once per test database; each test then runs in a rolled-back transaction."""
    from shuangsuiji.demo.county import demo_load

    with django_db_blocker.unblock():
        demo_load(entities=COUNTY_SIZE)


class Cast(dict):  # type: ignore[type-arg]
    """The demo accounts by username: cast["cg.manager"], cast["xfjy.inspector"], …"""

    def __missing__(self, key: str) -> Any:
        from shuangsuiji.accounts.models import User

        user = User.objects.get(username=key)
        self[key] = user
        return user


@pytest.fixture
def cast(db: Any) -> Cast:
    return Cast()


def sign_in(client: Any, user: Any) -> Any:
    """Sign a test client in as the user, second factor included where the user needs one."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from shuangsuiji.accounts.second_factor import needs_second_factor

    client.force_login(user)
    if needs_second_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="test", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for(client: Any, cast: Cast) -> Any:
    def login(username: str) -> Any:
        return sign_in(client, cast[username])

    return login


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """Each test starts with empty caches: ids are reused after a rollback, cached pages must not be."""
    from django.core.cache import cache

    from shuangsuiji.core import pagecache
    from shuangsuiji.disclosure import search

    cache.clear()
    pagecache.clear()
    search.forget()
    yield
