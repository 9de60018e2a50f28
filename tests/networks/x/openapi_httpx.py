"""A fake network for connector tests whose every request and response is checked against the
network's official OpenAPI document with openapi-core (X, Discord, Pinterest share it).

`SpecMock(app)` is an httpx handler (for respx `side_effect` or `httpx.MockTransport`): each request
the connector builds is validated against the spec, answered by the first matching route, and the
answer is validated too, so a fixture that drifts from the spec fails the test as surely as a request
that does. Validation errors are collected and raised by `check()` (a handler exception inside httpx
would otherwise be mapped by the connector onto a contract error and hide the failure).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPECS = Path(__file__).resolve().parents[3] / ".." / "shared" / "specs"


@cache
def raw_spec(filename: str) -> dict[str, Any]:
    path = SPECS / filename
    if not path.exists():
        pytest.skip(
            f"{path.resolve()} is absent: the official API specs live in ../shared/specs beside the repo"
        )
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def example(filename: str, schema_name: str, **overrides: Any) -> dict[str, Any]:
    """A minimal instance of a spec schema (every required field, null where the spec allows it),
    with `overrides` on top: for objects whose required list is long (a Discord guild)."""
    document = raw_spec(filename)

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def build(node: dict[str, Any]) -> Any:
        node = resolve(node)
        for key in ("oneOf", "anyOf"):
            if key in node:
                options = [resolve(o) for o in node[key]]
                nulls = [o for o in options if o.get("type") == "null"]
                return None if nulls else build(options[0])
        if "allOf" in node:
            parts = [build(part) for part in node["allOf"]]
            if not all(isinstance(part, dict) for part in parts):
                return parts[0]
            return {k: v for part in parts for k, v in part.items()}
        if "const" in node:
            return node["const"]
        if "enum" in node:
            return node["enum"][0]
        kind = node.get("type", "object")
        if isinstance(kind, list):
            if "null" in kind:
                return None
            kind = kind[0]
        if kind == "object":
            props = node.get("properties", {})
            return {name: build(props[name]) for name in node.get("required", []) if name in props}
        if kind == "array":
            return []
        if kind in ("integer", "number"):
            return max(0, node.get("minimum", 0))
        if kind == "boolean":
            return False
        return "0" if node.get("format") == "snowflake" else ""

    value = build({"$ref": f"#/components/schemas/{schema_name}"})
    assert isinstance(value, dict)
    value.update(overrides)
    return value


@cache
def load_spec(filename: str) -> OpenAPI:
    """The spec, parsed once per session (they are big); a skip when ../shared/specs is absent."""
    document = raw_spec(filename)
    config = Config(
        spec_validator_cls=None,  # the published documents are trusted as they are; checking them is slow
        extra_media_type_deserializers={"application/problem+json": json.loads},
    )
    return OpenAPI.from_dict(document, config=config)


class _Request:
    def __init__(self, request: httpx.Request, host_url: str = "") -> None:
        url = urlsplit(str(request.url))
        self.host_url = host_url or f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.method = request.method.lower()
        request.read()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query)),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict({}),
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))
        self.data = response.content


Responder = Callable[[httpx.Request], httpx.Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    responder: Responder | list[httpx.Response]
    validate: bool = True  # False: an endpoint outside the spec (the OAuth token endpoint)

    def answer(self, request: httpx.Request) -> httpx.Response:
        if isinstance(self.responder, list):
            if len(self.responder) > 1:
                return self.responder.pop(0)
            return self.responder[0]
        return self.responder(request)


@dataclass
class SpecMock:
    """Routes by (method, path regex); validates both directions against `app`."""

    app: OpenAPI
    host_url: str = ""  # the spec's server when the connector's base URL differs (Discord's /api/v10)
    # Discord: openapi-core cannot read OpenAPI 3.1 type lists in multipart encodings, so a
    # multipart request is validated as the JSON body its `payload_json` part stands for (Discord
    # documents the two as equivalent), and its file parts are checked against `files[n]`.
    multipart_payload_json: bool = False
    routes: list[Route] = field(default_factory=list)
    calls: list[httpx.Request] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(
        self, method: str, path: str, responder: Responder | list[httpx.Response] | httpx.Response, **kw: Any
    ) -> None:
        if isinstance(responder, httpx.Response):
            responder = [responder]
        self.routes.insert(0, Route(method.upper(), re.compile(f"^{path}$"), responder, **kw))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        url = urlsplit(str(request.url))
        route = next(
            (r for r in self.routes if r.method == request.method and r.pattern.match(url.path)), None
        )
        if route is None:
            self.errors.append(f"no route for {request.method} {url.path}")
            return httpx.Response(599, json={"test": "no route"})
        response = route.answer(request)
        if not route.validate:
            return response
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Unsupported scheme type" (oauth2): security is not ours
            try:
                self.app.validate_request(_Request(self._as_json(request), self.host_url))
            except Exception as exc:
                self.errors.append(f"request {request.method} {url.path}: {exc} {exc.__cause__ or ''}")
            response.read()
            try:
                self.app.validate_response(_Request(request, self.host_url), _Response(response))
            except Exception as exc:
                self.errors.append(
                    f"response {response.status_code} to {request.method} {url.path}: "
                    f"{exc} {exc.__cause__ or ''}"
                )
        return response

    def _as_json(self, request: httpx.Request) -> httpx.Request:
        if not (
            self.multipart_payload_json and request.headers.get("content-type", "").startswith("multipart/")
        ):
            return request
        request.read()
        parsed = parse_multipart(request)
        for name in parsed:
            if name != "payload_json" and not re.fullmatch(r"files\[\d\]", name):
                self.errors.append(f"multipart part {name!r} is neither payload_json nor files[n]")
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("content-type", "content-length")
        }
        return httpx.Request(
            request.method, request.url, headers=headers, json=json.loads(parsed["payload_json"])
        )

    def check(self) -> None:
        assert not self.errors, "\n".join(self.errors)

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [c for c in self.calls if c.method == method and re.match(f"^{path}$", c.url.path)]


def parse_multipart(request: httpx.Request) -> dict[str, bytes]:
    """A multipart/form-data body → {part name: content} (email's parser: no extra dependency)."""
    from email import message_from_bytes
    from email.policy import HTTP

    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = message_from_bytes(head + request.content, policy=HTTP)
    parts: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[str(name)] = part.get_payload(decode=True) or b""
    return parts


def jsonr(
    status: int, body: Any, headers: dict[str, str] | None = None, problem: bool = False
) -> httpx.Response:
    content_type = "application/problem+json" if problem else "application/json"
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": content_type, **(headers or {})}
    )
