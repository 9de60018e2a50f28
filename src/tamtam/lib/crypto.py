"""AES-GCM encryption of secrets at rest (channel credentials, tokens).

Each value gets a fresh 96-bit nonce; the stored form is `v1:` + urlsafe base64(nonce || ciphertext).
The key comes from settings.ENCRYPTION_KEY (any string; it is stretched to 32 bytes with SHA-256 so
that a passphrase from the environment works too).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from tamtam.ops.logs import remember_secret

PREFIX = "v1:"
# In an encrypted JSON object, the values of these keys are secrets: the log scrubber learns them so
# that they are redacted wherever they would be logged (ids and handles beside them stay readable).
_SECRET_KEY_PARTS = ("token", "secret", "password", "key", "jwt", "session", "verifier", "code", "cookie")


class DecryptionError(Exception):
    """The stored secret cannot be read with the current key (wrong key or tampered value)."""


def _key() -> bytes:
    return hashlib.sha256(settings.ENCRYPTION_KEY.encode("utf-8")).digest()


def _remember(plaintext: bytes) -> None:
    try:
        text = plaintext.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        value = json.loads(text)
    except ValueError:
        remember_secret(text)  # a bare secret: a webhook URL, a signing secret
        return
    if not isinstance(value, dict):
        remember_secret(text if isinstance(value, str) else None)
        return
    for key, item in value.items():
        if isinstance(item, str) and any(part in key.lower() for part in _SECRET_KEY_PARTS):
            remember_secret(item)


def encrypt(plaintext: bytes, associated_data: bytes = b"") -> str:
    _remember(plaintext)
    nonce = os.urandom(12)
    ciphertext = AESGCM(_key()).encrypt(nonce, plaintext, associated_data or None)
    return PREFIX + base64.urlsafe_b64encode(nonce + ciphertext).decode("ascii")


def decrypt(token: str, associated_data: bytes = b"") -> bytes:
    if not token.startswith(PREFIX):
        raise DecryptionError("unknown secret format")
    raw = base64.urlsafe_b64decode(token[len(PREFIX) :].encode("ascii"))
    try:
        plaintext = AESGCM(_key()).decrypt(raw[:12], raw[12:], associated_data or None)
    except InvalidTag:
        raise DecryptionError("secret cannot be decrypted with the current key") from None
    _remember(plaintext)
    return plaintext


def encrypt_json(value: dict[str, Any], associated_data: bytes = b"") -> str:
    return encrypt(json.dumps(value, separators=(",", ":")).encode("utf-8"), associated_data)


def decrypt_json(token: str, associated_data: bytes = b"") -> dict[str, Any]:
    if not token:
        return {}
    data = json.loads(decrypt(token, associated_data))
    if not isinstance(data, dict):
        raise DecryptionError("secret is not a JSON object")
    return data


def token_hash(token: str) -> str:
    """Hash of a bearer token or secret link: what is stored instead of the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
