from django.urls import path

from shuangsuiji.disclosure import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("items/", views.item_lists, name="item_lists"),
    path("items/<slug:code>/", views.item_list, name="item_list"),
    path("items/<slug:code>/v<int:version>/", views.item_list, name="item_list_version"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("tasks/<int:pk>/", views.task, name="task"),
    path("tasks/<int:pk>.json", views.task_json, name="task_json"),
    path("results/", views.results, name="results"),
    path("results/<int:pk>/", views.result_detail, name="result"),
    path("verify/", views.verify, name="verify"),
    path("verify/<str:name>", views.verifier, name="verifier"),
    path("open/", views.open_data_index, name="open_data"),
    path("open/<slug:dataset>.<str:fmt>", views.open_data, name="open_dataset"),
]
