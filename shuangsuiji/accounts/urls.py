from django.urls import path

from shuangsuiji.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("departments/", views.department_list, name="department_list"),
    path("departments/new/", views.department_edit, name="department_create"),
    path("departments/<int:pk>/", views.department_edit, name="department_edit"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_edit, name="user_create"),
    path("users/<int:pk>/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", views.user_password, name="user_password"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("second-factor/", views.second_factor, name="second_factor"),
    path("second-factor/qr.svg", views.second_factor_qr, name="second_factor_qr"),
]
