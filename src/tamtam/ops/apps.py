from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health and readiness, Prometheus metrics, request ids and structured logs."""

    name = "tamtam.ops"
    label = "ops"

    def ready(self) -> None:
        from urllib.parse import urlsplit

        from django.conf import settings

        from tamtam.ops.logs import remember_secret

        # The secret settings are redacted verbatim from every log line of this process.
        urls = [settings.DATABASES["default"].get("PASSWORD") or "", settings.BROKER_URL]
        passwords = [urlsplit(u).password or "" for u in urls[1:] if u]
        remember_secret(
            settings.SECRET_KEY,
            settings.ENCRYPTION_KEY,
            settings.EMAIL_HOST_PASSWORD,
            settings.METRICS_TOKEN,
            urls[0],
            *passwords,
        )
