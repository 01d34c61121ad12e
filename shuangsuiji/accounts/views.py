from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from shuangsuiji.accounts import selectors, services
from shuangsuiji.accounts.forms import DepartmentForm, LoginForm, PasswordResetForm, UserForm
from shuangsuiji.accounts.models import Department, User
from shuangsuiji.core.pagination import paginate
from shuangsuiji.core.permissions import AUTHENTICATED, PUBLIC, rule


@rule(PUBLIC)
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@rule(AUTHENTICATED)
class LogoutView(auth_views.LogoutView):
    pass


@rule(AUTHENTICATED)
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = "/staff/"

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, "密码已修改。")
        return super().form_valid(form)


def _form_errors(form: DepartmentForm | UserForm | PasswordResetForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


@rule("departments.view")
def department_list(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.select_related("parent").order_by("path")
    return render(request, "accounts/department_list.html", {"departments": departments})


@rule("departments.manage")
def department_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    department = get_object_or_404(Department, pk=pk) if pk else None
    initial = {}
    if department:
        initial = {f: getattr(department, f) for f in DepartmentForm.base_fields}
    form = DepartmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if department is None:
                department = services.department_create(actor=request.user, **data)
            else:
                services.department_update(actor=request.user, department=department, **data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"已保存部门「{department.name}」。")
            return redirect("accounts:department_list")
    return render(request, "accounts/department_form.html", {"form": form, "department": department})


@rule("accounts.manage")
def user_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = paginate(request, selectors.user_list(query=query), order="username")
    return render(request, "accounts/user_list.html", {"page": page, "query": query})


@rule("accounts.manage")
def user_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = get_object_or_404(User, pk=pk) if pk else None
    initial = {}
    if user:
        initial = {
            "username": user.username,
            "full_name": user.full_name,
            "department": user.department,
            "roles": sorted(user.role_set),
            "is_active": user.is_active,
        }
    form = UserForm(request.POST or None, initial=initial)
    if user:
        form.fields["username"].disabled = True
        form.fields["password"].widget = form.fields["password"].hidden_widget()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if user is None:
                if not data["password"]:
                    raise ValidationError({"password": "请设置初始密码。"})  # nosec B105
                user = services.user_create(actor=request.user, **data)
            else:
                services.user_update(
                    actor=request.user,
                    user=user,
                    full_name=data["full_name"],
                    department=data["department"],
                    roles=data["roles"],
                    is_active=data["is_active"],
                )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"已保存账号「{user.username}」。")
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "account": user})


@rule("accounts.manage")
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(actor=request.user, user=user, password=form.cleaned_data["password"])
        except ValidationError as error:
            form.add_error("password", error.messages)
        else:
            messages.success(request, f"已重置「{user.username}」的密码。")
            return redirect("accounts:user_list")
    return render(request, "accounts/user_password.html", {"form": form, "account": user})


@rule("accounts.manage")
def lockouts(request: HttpRequest) -> HttpResponse:
    """Accounts locked by repeated failed logins, for the security admin to see and unlock."""
    from axes.models import AccessAttempt

    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        services.user_unlock(actor=request.user, username=username)
        messages.success(request, f"已解锁账号「{username}」。")
        return redirect("accounts:lockouts")
    attempts = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).order_by(
        "-attempt_time"
    )
    return render(request, "accounts/lockouts.html", {"attempts": attempts})


@rule(AUTHENTICATED)
def second_factor(request: HttpRequest) -> HttpResponse:
    from base64 import b32encode

    from shuangsuiji.accounts.second_factor import current_token, device_for, second_factor_verify
    from shuangsuiji.audit.services import client_ip

    device = device_for(request.user)
    error = ""
    if request.method == "POST":
        if second_factor_verify(
            request=request, token=request.POST.get("token", "")[:12], ip=client_ip(request)
        ):
            target = request.GET.get("next", "")
            return redirect(target if target.startswith("/staff/") and "//" not in target else "core:home")
        error = "验证码不正确、已过期或尝试过于频繁：请稍候片刻，输入身份验证器当前显示的 6 位数字。"
    return render(
        request,
        "accounts/second_factor.html",
        {
            "device": device,
            "error": error,
            "secret": b32encode(device.bin_key).decode(),
            "demo_token": current_token(device) if settings.DEBUG else "",
        },
    )


@rule(AUTHENTICATED)
def second_factor_qr(request: HttpRequest) -> HttpResponse:
    """The enrolment QR code as SVG (served from our origin: the CSP allows no data: scripts)."""
    import io

    import segno

    from shuangsuiji.accounts.second_factor import device_for

    device = device_for(request.user)
    if device.confirmed:
        raise PermissionDenied("身份验证器已绑定。")
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=4)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
