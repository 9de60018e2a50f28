from django.urls import path

from tamtam.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("w/<int:ws>/", views.workspace, name="workspace"),
    path("status/", views.status, name="status"),
]
