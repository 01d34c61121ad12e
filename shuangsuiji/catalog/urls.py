from django.urls import path

from shuangsuiji.catalog import views

app_name = "catalog"
urlpatterns = [
    path("items/", views.item_list, name="item_list"),
    path("items/new/", views.item_edit, name="item_create"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/publish/", views.item_list_publish, name="item_list_publish"),
]
