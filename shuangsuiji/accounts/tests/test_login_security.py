"""等保 身份鉴别: lockout after 5 failures, unlock by the security admin, password history and expiry,
demo passwords refused outside debug mode."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shuangsuiji.accounts import services
from shuangsuiji.accounts.models import User
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.demo.county import DEMO_PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/staff/accounts/login/"


def test_five_failures_lock_the_account_even_with_the_right_password(client: Any) -> None:
    for _ in range(5):
        assert client.post(LOGIN, {"username": "cg.manager", "password": "wrong-Pass1"}).status_code in (
            200,
            403,
        )
    locked = client.post(LOGIN, {"username": "cg.manager", "password": DEMO_PASSWORD})
    assert locked.status_code == 403 and "账号已锁定" in locked.content.decode()
    assert AuditEvent.objects.filter(action="login", success=False, object_id="cg.manager").count() >= 5


def test_the_security_admin_sees_and_unlocks_it(client: Any, client_for: Any, settings: Any) -> None:
    settings.DEBUG = True  # the demo password is accepted only in debug mode
    for _ in range(5):
        client.post(LOGIN, {"username": "gx.inspector", "password": "wrong-Pass1"})
    admin = client_for("scjg.secadmin")
    page = admin.get("/staff/accounts/lockouts/")
    assert "gx.inspector" in page.content.decode()
    admin.post("/staff/accounts/lockouts/", {"username": "gx.inspector"})
    assert AuditEvent.objects.filter(action="user.unlock", object_id="gx.inspector").exists()
    admin.logout()
    ok = client.post(LOGIN, {"username": "gx.inspector", "password": DEMO_PASSWORD})
    assert ok.status_code == 302


def test_demo_passwords_are_refused_outside_debug_mode(client: Any, settings: Any) -> None:
    settings.DEBUG = False
    response = client.post(LOGIN, {"username": "cg.manager", "password": DEMO_PASSWORD})
    assert response.status_code == 200 and "演示密码不能在正式环境中使用" in response.content.decode()


def test_the_last_five_passwords_cannot_be_reused(cast: Any) -> None:
    user = cast["cg.manager"]
    actor = cast["scjg.secadmin"]
    passwords = [f"Rotate#{n}pass" for n in range(6)]
    for password in passwords:
        services.user_set_password(actor=actor, user=user, password=password)
    for recent in passwords[1:]:
        with pytest.raises(ValidationError, match="最近 5 次"):
            services.user_set_password(actor=actor, user=user, password=recent)
    services.user_set_password(actor=actor, user=user, password=passwords[0])  # sixth back is allowed again


def test_an_expired_password_must_be_changed_first(client_for: Any, cast: Any) -> None:
    User.objects.filter(username="cg.manager").update(password_changed_at=timezone.now() - timedelta(days=91))
    client = client_for("cg.manager")
    response = client.get("/staff/directory/entities/")
    assert response.status_code == 302 and response["Location"] == "/staff/accounts/password/"
    assert client.get("/staff/accounts/password/").status_code == 200


def test_a_password_set_by_the_security_admin_must_be_changed_at_first_sign_in(
    cast: Any, client_for: Any
) -> None:
    services.user_set_password(actor=cast["scjg.secadmin"], user=cast["cg.manager"], password="Reset#2026ok")
    response = client_for("cg.manager").get("/staff/")
    assert response.status_code == 302 and response["Location"] == "/staff/accounts/password/"


def test_admin_roles_must_enrol_and_verify_a_second_factor(client: Any, cast: Any, settings: Any) -> None:
    from shuangsuiji.accounts.second_factor import current_token, device_for

    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp delays retries after a failure; not what this tests
    admin = cast["scjg.sysadmin"]
    client.force_login(admin)
    response = client.get("/staff/accounts/departments/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/accounts/second-factor/")
    page = client.get("/staff/accounts/second-factor/")
    assert "扫描下方二维码" in page.content.decode()
    assert client.get("/staff/accounts/second-factor/qr.svg")["Content-Type"] == "image/svg+xml"
    wrong = client.post(
        "/staff/accounts/second-factor/?next=/staff/accounts/departments/", {"token": "000000"}
    )
    assert "验证码不正确" in wrong.content.decode() or current_token(device_for(admin)) == "000000"
    right = client.post(
        "/staff/accounts/second-factor/?next=/staff/accounts/departments/",
        {"token": current_token(device_for(admin))},
    )
    assert right.status_code == 302 and right["Location"] == "/staff/accounts/departments/"
    assert client.get("/staff/accounts/departments/").status_code == 200
    assert AuditEvent.objects.filter(
        action="login.second_factor", success=True, actor_name="scjg.sysadmin"
    ).exists()


def test_business_roles_are_not_forced_but_an_enrolled_device_is_required(client: Any, cast: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    manager = cast["cg.manager"]
    client.force_login(manager)
    assert client.get("/staff/directory/entities/").status_code == 200
    TOTPDevice.objects.create(user=manager, name="x", confirmed=True)
    client.force_login(manager)
    assert client.get("/staff/directory/entities/").status_code == 302


def test_sessions_end_after_thirty_idle_minutes(client_for: Any, settings: Any) -> None:
    client = client_for("cg.manager")
    client.get("/staff/")
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    age = client.session.get_expiry_age()
    assert 29 * 60 < age <= 30 * 60


def test_a_new_admin_verifies_the_second_factor_then_changes_the_password_without_a_loop(
    client: Any, cast: Any, settings: Any
) -> None:
    from shuangsuiji.accounts.second_factor import current_token, device_for

    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    admin = cast["xfjy.auditor"]
    User.objects.filter(pk=admin.pk).update(password_changed_at=None)  # as after an administrator's reset
    client.force_login(admin)
    first = client.get("/staff/audit/")
    assert first["Location"].startswith("/staff/accounts/second-factor/")
    assert client.get(first["Location"]).status_code == 200  # the page itself is reachable, no loop
    verified = client.post(first["Location"], {"token": current_token(device_for(admin))})
    then = client.get(verified["Location"])
    assert then.status_code == 302 and then["Location"] == "/staff/accounts/password/"
    assert client.get("/staff/accounts/password/").status_code == 200
