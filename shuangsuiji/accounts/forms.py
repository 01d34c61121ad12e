from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.roles import Role


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误。",
        "inactive": "此账号已停用，请联系安全管理员。",
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        from shuangsuiji.demo.county import DEMO_PASSWORD

        if not settings.DEBUG and self.cleaned_data.get("password") == DEMO_PASSWORD:
            raise forms.ValidationError(
                "演示密码不能在正式环境中使用。请联系安全管理员重置密码。", code="demo_password"
            )


class DepartmentForm(forms.Form):
    code = forms.CharField(label="部门代码", max_length=32)
    name = forms.CharField(label="部门名称", max_length=100)
    short_name = forms.CharField(label="简称", max_length=30, required=False)
    kind = forms.ChoiceField(label="类型", choices=Department.Kind.choices)
    parent = forms.ModelChoiceField(label="上级部门", queryset=Department.objects.all(), required=False)
    joint_duty = forms.ChoiceField(label="联合抽查义务", choices=Department.JointDuty.choices)
    sort_order = forms.IntegerField(label="排序", min_value=0, initial=0)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class UserForm(forms.Form):
    username = forms.RegexField(
        label="用户名",
        max_length=150,
        regex=r"^[A-Za-z0-9_.@+-]+$",
        error_messages={"invalid": "用户名只能包含字母、数字和 _ . @ + -。"},
    )
    full_name = forms.CharField(label="姓名", max_length=50)
    department = forms.ModelChoiceField(label="所属部门", queryset=Department.objects.all(), required=False)
    roles = forms.MultipleChoiceField(
        label="角色", choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput,
        required=False,
        help_text="至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类。",
    )


class PasswordResetForm(forms.Form):
    password = forms.CharField(label="新密码", widget=forms.PasswordInput)
