"""The workspace data page, under /w/<ws>/settings/ beside the other administration pages."""

from django.urls import path

from tamtam.dataops import views

app_name = "dataops"

urlpatterns = [
    path("w/<int:ws>/settings/data/", views.data_page, name="data"),
    path("w/<int:ws>/settings/data/export.json", views.export_json, name="export"),
    path("w/<int:ws>/settings/data/delete/", views.delete, name="delete"),
]
