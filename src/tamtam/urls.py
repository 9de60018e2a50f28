from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from tamtam.api import api

urlpatterns = [
    # /healthz, /readyz, /metrics (docs/operations.md)
    path("", include("tamtam.ops.urls")),
    path("", include("tamtam.web.urls")),
    path("accounts/", include("tamtam.accounts.urls")),
    path("", include("tamtam.accounts.urls_workspace")),
    path("", include("tamtam.channels.urls")),
    path("", include("tamtam.publishing.urls")),
    path("", include("tamtam.inbox.urls")),
    path("", include("tamtam.listening.urls")),
    path("", include("tamtam.crisis.urls")),
    path("", include("tamtam.strategy.urls")),
    path("", include("tamtam.analytics.urls")),
    path("", include("tamtam.reports.urls")),
    path("", include("tamtam.dataops.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Uploaded media: served by the app in embedded mode; a reverse proxy serves it in scale-out.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
]
