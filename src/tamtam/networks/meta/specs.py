"""Check Graph API requests and responses against Meta's own object specs.

The specs are the JSON files of Meta's SDK generator (facebook-business-sdk-codegen `api_specs/specs/`:
one file per node type with its `fields` and its `apis`, i.e. edges with method, return type and
parameters). Tests point `GraphSpec` at `../shared/specs/meta-graph/` and check that every field we
ask for and every field we read exists on the node, and that every edge we call exists with that
method and those parameters. Nothing here is used at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Parameters every Graph edge accepts (Meta's "Using the Graph API": field expansion, paging,
# authentication), which the per-edge specs therefore do not list.
UNIVERSAL_PARAMS = frozenset(
    {"fields", "access_token", "appsecret_proof", "limit", "after", "before", "since", "until", "pretty"}
)
# Keys of a list answer that are not node fields.
ENVELOPE_KEYS = frozenset({"data", "paging", "summary"})


@dataclass
class Node:
    name: str
    fields: dict[str, str]  # name → type
    edges: dict[tuple[str, str], tuple[str, frozenset[str]]] = field(default_factory=dict)


def split_fields(spec: str) -> list[tuple[str, str]]:
    """'id,from{id,name},comments.limit(5){id}' → [('id', ''), ('from', 'id,name'), ('comments', 'id')]."""
    out: list[tuple[str, str]] = []
    depth, start, name_end = 0, 0, -1
    text = spec + ","
    for index, char in enumerate(text):
        if char in "{(":
            if depth == 0 and name_end < 0:
                name_end = index
            depth += 1
        elif char in "})":
            depth -= 1
        elif char == "," and depth == 0:
            part = text[start:index].strip()
            if part:
                head = part[: name_end - start] if name_end >= 0 else part
                name = head.split(".")[0]
                inner = ""
                if "{" in part:
                    inner = part[part.index("{") + 1 : part.rindex("}")]
                out.append((name, inner))
            start, name_end = index + 1, -1
    return out


class GraphSpec:
    def __init__(self, directory: Path) -> None:
        self.nodes: dict[str, Node] = {}
        for path in sorted(directory.glob("*.json")):
            body = json.loads(path.read_text(encoding="utf-8"))
            node = Node(path.stem, {f["name"]: str(f.get("type", "")) for f in body.get("fields", [])})
            for api in body.get("apis", []):
                key = (str(api["method"]).upper(), str(api.get("endpoint") or ""))
                params = frozenset(p["name"] for p in api.get("params", []))
                node.edges[key] = (str(api.get("return", "")), params)
            self.nodes[node.name] = node

    def node(self, name: str) -> Node:
        if name not in self.nodes:
            raise KeyError(f"no spec for node type {name!r} (have {sorted(self.nodes)})")
        return self.nodes[name]

    def field_problems(self, node_name: str, fields: str) -> list[str]:
        """Requested `fields=` that the node type does not have (nested ones checked when known)."""
        node = self.node(node_name)
        problems = []
        for name, inner in split_fields(fields):
            if name not in node.fields and (("GET", name) not in node.edges):
                problems.append(f"{node_name} has no field or edge {name!r}")
                continue
            sub = node.fields.get(name) or node.edges.get(("GET", name), ("", frozenset()))[0]
            sub = sub.removeprefix("list<").removesuffix(">")
            if inner and sub in self.nodes:
                problems.extend(self.field_problems(sub, inner))
        return problems

    def edge_problems(
        self, node_name: str, method: str, edge: str, params: set[str] | frozenset[str]
    ) -> list[str]:
        node = self.node(node_name)
        key = (method.upper(), edge)
        if key not in node.edges:
            return [f"{node_name} has no {method.upper()} /{edge or '(node)'}"]
        _returns, allowed = node.edges[key]
        return [
            f"{node_name} {method.upper()} /{edge}: no parameter {p!r}"
            for p in sorted(set(params) - allowed - UNIVERSAL_PARAMS)
        ]

    def returns(self, node_name: str, method: str, edge: str) -> str:
        return self.node(node_name).edges[(method.upper(), edge)][0]

    def response_problems(self, node_name: str, body: Any) -> list[str]:
        """Keys of a node (or of each item of a `data` list) the node type does not have."""
        if node_name not in self.nodes:
            return []
        node = self.nodes[node_name]
        items: list[Any] = [body]
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            items = body["data"]
        problems = []
        for item in items:
            if not isinstance(item, dict):
                continue
            for key, value in item.items():
                if key in ENVELOPE_KEYS and item is body and "data" in body:
                    continue
                if key not in node.fields and ("GET", key) not in node.edges:
                    problems.append(f"{node_name} has no field {key!r}")
                    continue
                sub = node.fields.get(key) or node.edges.get(("GET", key), ("", frozenset()))[0]
                sub = sub.removeprefix("list<").removesuffix(">")
                if sub in self.nodes and isinstance(value, dict):
                    problems.extend(self.response_problems(sub, value))
        return problems


@dataclass
class Route:
    """One Graph call a test expects: method, path pattern, the node type and edge it addresses, and
    the answer (a JSON body, or a callable request → httpx.Response for status codes and headers)."""

    method: str
    pattern: str  # a regex on the path after the version, e.g. r"/page1/feed"
    node: str | None  # spec node type; None: not covered by the shipped specs (said in the test)
    edge: str
    answer: Any
    response_node: str | None = None  # defaults to what the spec says the edge returns


class GraphRecorder:
    """An httpx handler serving `routes` and checking each request and answer against the spec."""

    def __init__(
        self, spec: GraphSpec | None, routes: list[Route], file_fields: frozenset[str] = frozenset({"source"})
    ):
        self.spec = spec
        self.routes = routes
        self.file_fields = file_fields
        self.problems: list[str] = []
        self.requests: list[Any] = []

    def handler(self, request: Any) -> Any:
        import re
        from urllib.parse import parse_qsl

        import httpx

        self.requests.append(request)
        path = re.sub(r"^/v\d+\.\d+", "", request.url.path)
        for route in self.routes:
            if route.method == request.method and re.fullmatch(route.pattern, path):
                break
        else:
            self.problems.append(f"unexpected {request.method} {path}")
            return httpx.Response(404, json={"error": {"message": f"no route {path}", "code": 803}})
        params = dict(request.url.params)
        content_type = request.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" in content_type:
            params.update(dict(parse_qsl(request.content.decode())))
        elif "multipart/form-data" in content_type:
            body = request.read()
            for name in re.findall(rb'; name="([^"]+)"', body):
                if name.decode() not in self.file_fields:
                    params[name.decode()] = ""
        if self.spec is not None and route.node is not None:
            self.problems += self.spec.edge_problems(
                route.node, request.method, route.edge, set(params) - {"fields"}
            )
            returns = route.response_node or (
                route.node if route.edge == "" else self.spec.returns(route.node, request.method, route.edge)
            )
            if "fields" in params and returns in self.spec.nodes:
                self.problems += self.spec.field_problems(returns, params["fields"])
        answer = route.answer(request) if callable(route.answer) else httpx.Response(200, json=route.answer)
        if self.spec is not None and route.node is not None and answer.status_code == 200:
            returns = route.response_node or (
                route.node if route.edge == "" else self.spec.returns(route.node, request.method, route.edge)
            )
            if request.method == "GET":
                self.problems += self.spec.response_problems(returns, answer.json())
        return answer
