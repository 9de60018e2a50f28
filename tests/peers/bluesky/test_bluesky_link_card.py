"""A post with a link carries the page's preview card, on the real AT Protocol stack: the connector
reads the page's Open Graph tags from a web server started by the test (127.0.0.1), uploads its image
as a blob to the PDS, and the record the PDS stores has the title, the description and the thumbnail.
"""

from __future__ import annotations

import struct
import threading
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from atproto import models
from bsky_stack import Account

from tamtam.networks import linkpreview
from tamtam.networks.base import PublishRequest
from tamtam.networks.bluesky.connector import BlueskyConnector, split_uri

pytestmark = pytest.mark.peers


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes((200, 80, 20)) * 8 for _ in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = _png()
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Maison Lumière</title>
<meta property="og:title" content="Collection Lin &amp; Lumière">
<meta property="og:description" content="Douze bougies coulées à la main à Lyon.">
<meta property="og:image" content="/collection.png"></head><body></body></html>"""


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/collection.png"):
            body, kind = PNG, "image/png"
        elif self.path.startswith("/collection"):
            body, kind = PAGE.encode(), "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # The page is on 127.0.0.1, which tamtam refuses to fetch outside tests.
    monkeypatch.setattr(linkpreview, "ALLOW_PRIVATE_ADDRESSES", True)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_link_post_carries_the_pages_card_with_its_thumbnail_stored_on_the_pds(
    bsky: BlueskyConnector, brand: Account, site: str
) -> None:
    link = f"{site}/collection?utm_source=bluesky"
    result = bsky.publish(
        PublishRequest(text="La nouvelle collection", link=link, idempotency_key=str(uuid.uuid4()))
    )

    did, collection, rkey = split_uri(result.remote_id)
    got = brand.client.com.atproto.repo.get_record(
        models.ComAtprotoRepoGetRecord.Params(repo=did, collection=collection, rkey=rkey)
    )
    value = got.value.model_dump(by_alias=True) if hasattr(got.value, "model_dump") else dict(got.value)
    external = value["embed"]["external"]
    assert external["uri"] == link
    assert external["title"] == "Collection Lin & Lumière"
    assert external["description"] == "Douze bougies coulées à la main à Lyon."
    thumb = external["thumb"]
    assert thumb["mime_type" if "mime_type" in thumb else "mimeType"] == "image/png"
    assert thumb["size"] == len(PNG)
    # The blob is really on the PDS: fetch it back by its CID.
    ref = thumb["ref"]
    cid = ref.get("$link") if isinstance(ref, dict) else str(ref)
    blob = brand.client.com.atproto.sync.get_blob(models.ComAtprotoSyncGetBlob.Params(did=did, cid=cid))
    assert blob == PNG
