from django.urls import path

from tamtam.channels import views

app_name = "channels"

urlpatterns = [
    path("w/<int:ws>/channels/", views.channel_list, name="list"),
    path("w/<int:ws>/channels/connect/", views.connect, name="connect"),
    path("w/<int:ws>/channels/add/", views.add, name="add"),
    path("oauth/callback/<slug:network>/", views.oauth_callback, name="oauth_callback"),
    path("w/<int:ws>/channels/<int:channel_id>/", views.edit, name="edit"),
    path("w/<int:ws>/channels/<int:channel_id>/disconnect/", views.disconnect, name="disconnect"),
    path("w/<int:ws>/channels/<int:channel_id>/reconnect/", views.reconnect, name="reconnect"),
]
