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

PREFIX = "v1:"


class DecryptionError(Exception):
    """The stored secret cannot be read with the current key (wrong key or tampered value)."""


def _key() -> bytes:
    return hashlib.sha256(settings.ENCRYPTION_KEY.encode("utf-8")).digest()


def encrypt(plaintext: bytes, associated_data: bytes = b"") -> str:
    nonce = os.urandom(12)
    ciphertext = AESGCM(_key()).encrypt(nonce, plaintext, associated_data or None)
    return PREFIX + base64.urlsafe_b64encode(nonce + ciphertext).decode("ascii")


def decrypt(token: str, associated_data: bytes = b"") -> bytes:
    if not token.startswith(PREFIX):
        raise DecryptionError("unknown secret format")
    raw = base64.urlsafe_b64decode(token[len(PREFIX) :].encode("ascii"))
    try:
        return AESGCM(_key()).decrypt(raw[:12], raw[12:], associated_data or None)
    except InvalidTag:
        raise DecryptionError("secret cannot be decrypted with the current key") from None


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
