"""The signed webhook endpoint for networks that push comments and messages.

POST /inbox/webhook/<channel id>/ with `{"items": [...]}` (the InboxItem fields as JSON) and the
header `X-Tamtam-Signature: sha256=<hex HMAC-SHA256 of the body with the channel's webhook secret>`
(shown to the channel's managers on the inbox settings page). Items already stored by the poll are
counted as duplicates and left alone."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tamtam.channels.models import Channel
from tamtam.inbox import ingest
from tamtam.lib.errors import InvalidInput

MAX_BODY = 5 * 1024 * 1024


@csrf_exempt
@require_POST
def receive(request: HttpRequest, channel_id: int) -> JsonResponse:
    channel = Channel.objects.filter(pk=channel_id).first()
    body = request.body[: MAX_BODY + 1]
    # Same answer for an unknown channel and a bad signature: nothing learnt about what exists.
    if channel is None or not ingest.signature_ok(
        channel, body, request.headers.get("X-Tamtam-Signature", "")
    ):
        return JsonResponse({"detail": _("invalid signature"), "errors": []}, status=403)
    if len(body) > MAX_BODY:
        return JsonResponse({"detail": _("the request body is too large"), "errors": []}, status=413)
    try:
        items = ingest.parse_webhook(body)
    except InvalidInput as exc:
        return JsonResponse(
            {"detail": str(exc), "errors": [{"field": exc.field, "message": str(exc.message)}]}, status=422
        )
    stored = ingest.receive_webhook(channel, items)
    return JsonResponse({"new": stored.new, "duplicates": stored.duplicates, "deleted": stored.deleted})
