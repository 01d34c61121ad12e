from django.urls import path

from shuangsuiji.directory import views

app_name = "directory"
urlpatterns = [
    path("entities/", views.entity_list, name="entity_list"),
    path("entities/new/", views.entity_edit, name="entity_create"),
    path("entities/<int:pk>/", views.entity_detail, name="entity_detail"),
    path("entities/<int:pk>/edit/", views.entity_edit, name="entity_edit"),
    path("inspectors/", views.inspector_list, name="inspector_list"),
    path("inspectors/new/", views.inspector_edit, name="inspector_create"),
    path("inspectors/<int:pk>/", views.inspector_detail, name="inspector_detail"),
    path("inspectors/<int:pk>/edit/", views.inspector_edit, name="inspector_edit"),
    path("conflicts/", views.conflict_list, name="conflict_list"),
    path("conflicts/new/", views.conflict_create, name="conflict_create"),
    path("conflicts/<int:pk>/withdraw/", views.conflict_withdraw, name="conflict_withdraw"),
]
