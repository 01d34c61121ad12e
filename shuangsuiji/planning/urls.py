from django.urls import path

from shuangsuiji.planning import views

app_name = "planning"
urlpatterns = [
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/transition/", views.plan_transition, name="plan_transition"),
    path("plans/<int:plan_pk>/tasks/new/", views.task_edit, name="task_create"),
    path("plans/<int:plan_pk>/tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/rates/", views.task_rates, name="task_rates"),
    path("tasks/<int:pk>/departments/", views.task_departments, name="task_departments"),
]
