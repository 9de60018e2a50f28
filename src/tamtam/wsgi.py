import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tamtam.settings")
django_application = get_wsgi_application()

# Short-link redirects of known links are answered before Django's middleware (analytics/fastpath.py).
from tamtam.analytics.fastpath import ShortLinkFastPath  # noqa: E402  (needs Django set up)

application = ShortLinkFastPath(django_application)
