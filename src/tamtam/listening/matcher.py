"""All queries of all workspaces compiled into ONE Aho-Corasick automaton (pure, no Django).

A text is scanned once (`normalize.Normalized.joined`, tokens separated by single spaces): every
pattern hit gives a term id and the token position where it starts. Only the queries that own a hit
term (or name the text's author) are then evaluated, so 1,000 queries cost about as much as ten for
a text that mentions none of them. Each query is compiled to ONE Python expression over the hits
(`lambda h, l, a: (3 in h) and not (7 in h)`): a call per query, not a call per node of its tree.

Patterns, with spaces as word boundaries: a word `w` is " w ", " #w " and " @w " (a plain word also
matches its hashtag and its mention); `#w` is " #w "; a prefix `boul*` is " boul" and " #boul"; a
phrase is " a b c "; a wildcard `colo*r` is found by its literal start (" colo") and the word hit
is then checked against the whole pattern.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
import regex

from tamtam.listening.normalize import Normalized
from tamtam.listening.query import And, AuthorIs, Lang, Near, Node, Not, Or, QuerySyntaxError, Term, parse

Hits = dict[int, list[int]]  # term id → token positions where it starts
Predicate = Callable[[Hits, str, str], bool]  # (hits, lang, author) → matches


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    query_id: int
    languages: frozenset[str]
    predicate: Predicate


@dataclass
class Matcher:
    """Build with `Matcher.build([(query_id, expression, languages), …])`; then `match(...)`."""

    version: object = None
    automaton: ahocorasick.Automaton | None = None
    queries: dict[int, CompiledQuery] = field(default_factory=dict)
    term_queries: list[set[int]] = field(default_factory=list)  # term id → query ids
    term_length: list[int] = field(default_factory=list)  # term id → tokens it spans
    # term id → check of the word a wildcard's literal start was found in
    term_check: dict[int, Callable[[str], Any]] = field(default_factory=dict)
    author_queries: dict[str, set[int]] = field(default_factory=dict)
    errors: dict[int, QuerySyntaxError] = field(default_factory=dict)
    workspace_of: dict[int, int] = field(default_factory=dict)  # query id → workspace id (set by callers)
    _term_ids: dict[tuple[str, tuple[str, ...]], int] = field(default_factory=dict)
    _patterns: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, queries: Iterable[tuple[int, str, Iterable[str]]], version: object = None) -> Matcher:
        matcher = cls(version=version)
        for query_id, expression, languages in queries:
            try:
                tree = parse(expression)
            except QuerySyntaxError as exc:
                # A query saved before a grammar change, or written in the database directly: it is
                # skipped (and reported), never allowed to break the matching of all the others.
                matcher.errors[query_id] = exc
                continue
            predicate = matcher._compile(tree, query_id)
            matcher.queries[query_id] = CompiledQuery(query_id, frozenset(languages or ()), predicate)
        automaton = ahocorasick.Automaton()
        for pattern, term_ids in matcher._patterns.items():
            automaton.add_word(pattern, (len(pattern), tuple(term_ids)))
        if matcher._patterns:
            automaton.make_automaton()
            matcher.automaton = automaton
        return matcher

    # --- compilation --------------------------------------------------------------------------------

    def _term_id(self, term: Term, query_id: int) -> int:
        key = (term.kind, term.tokens)
        tid = self._term_ids.get(key)
        if tid is None:
            tid = len(self.term_queries)
            self._term_ids[key] = tid
            self.term_queries.append(set())
            self.term_length.append(len(term.tokens))
            for pattern in _patterns(term):
                self._patterns.setdefault(pattern, []).append(tid)
            if term.kind == "wildcard":
                self.term_check[tid] = _wildcard_regex(term.tokens[0]).fullmatch
        self.term_queries[tid].add(query_id)
        return tid

    def _compile(self, node: Node, query_id: int) -> Predicate:
        """The query as one generated expression; the closure tree when the expression is too deep
        for Python's compiler (hundreds of nested parentheses)."""
        env: dict[str, object] = {"__builtins__": {}}
        try:
            source = self._source(node, query_id, env)
            predicate: Predicate = eval(compile(f"lambda h, l, a: {source}", "<query>", "eval"), env)  # noqa: S307 — ints and repr() literals only
        except (SyntaxError, RecursionError, MemoryError):
            predicate = self._closure(node, query_id)
        return predicate

    def _source(self, node: Node, query_id: int, env: dict[str, object]) -> str:
        if isinstance(node, Term):
            return f"({self._term_id(node, query_id)} in h)"
        if isinstance(node, Lang):
            return f"(l == {node.code!r})"
        if isinstance(node, AuthorIs):
            self.author_queries.setdefault(node.handle, set()).add(query_id)
            return f"(a == {node.handle!r})"
        if isinstance(node, Not):
            return f"(not {self._source(node.child, query_id, env)})"
        if isinstance(node, Near):
            left, right = self._term_id(node.left, query_id), self._term_id(node.right, query_id)
            name = f"near{len(env)}"
            env[name] = self._near(left, right, node.distance)
            return f"({left} in h and {right} in h and {name}(h, l, a))"
        joiner = " and " if isinstance(node, And) else " or "
        return "(" + joiner.join(self._source(c, query_id, env) for c in node.children) + ")"

    def _closure(self, node: Node, query_id: int) -> Predicate:
        if isinstance(node, Term):
            tid = self._term_id(node, query_id)
            return lambda hits, lang, author: tid in hits
        if isinstance(node, Lang):
            code = node.code
            return lambda hits, lang, author: lang == code
        if isinstance(node, AuthorIs):
            handle = node.handle
            self.author_queries.setdefault(handle, set()).add(query_id)
            return lambda hits, lang, author: author == handle
        if isinstance(node, Not):
            inner = self._closure(node.child, query_id)
            return lambda hits, lang, author: not inner(hits, lang, author)
        if isinstance(node, Near):
            left, right = self._term_id(node.left, query_id), self._term_id(node.right, query_id)
            return self._near(left, right, node.distance)
        children = [self._closure(c, query_id) for c in node.children]
        if isinstance(node, And):
            return lambda hits, lang, author: all(c(hits, lang, author) for c in children)
        assert isinstance(node, Or)
        return lambda hits, lang, author: any(c(hits, lang, author) for c in children)

    def _near(self, left: int, right: int, distance: int) -> Predicate:
        len_left, len_right = self.term_length[left], self.term_length[right]

        def near(hits: Hits, lang: str, author: str) -> bool:
            lefts, rights = hits.get(left), hits.get(right)
            if not lefts or not rights:
                return False
            for a in lefts:
                for b in rights:
                    # Words strictly between the two spans, whichever comes first.
                    gap = b - (a + len_left) if a <= b else a - (b + len_right)
                    if 0 <= gap <= distance and a != b:
                        return True
            return False

        return near

    # --- matching -----------------------------------------------------------------------------------

    def hits(self, text: Normalized) -> Hits:
        found: Hits = {}
        if self.automaton is None:
            return found
        joined = text.joined
        checks = self.term_check
        for end, (length, term_ids) in self.automaton.iter(joined):
            # The pattern starts with the space before its first token: as many tokens come before it
            # as there are spaces before that one.
            position = joined.count(" ", 0, end - length + 1)
            for tid in term_ids:
                if checks and tid in checks and not checks[tid](text.tokens[position]):
                    continue
                found.setdefault(tid, []).append(position)
        return found

    def candidates(self, text: Normalized, author: str = "") -> tuple[Hits, set[int]]:
        """The term hits of one pass over the text, and the queries worth evaluating on them."""
        hits = self.hits(text)
        candidates: set[int] = set()
        for tid in hits:
            candidates |= self.term_queries[tid]
        if author and author in self.author_queries:
            candidates |= self.author_queries[author]
        return hits, candidates

    def evaluate(self, hits: Hits, candidates: set[int], lang: str = "", author: str = "") -> list[int]:
        matched = []
        queries = self.queries
        for query_id in candidates:
            compiled = queries.get(query_id)
            if compiled is None or (compiled.languages and lang not in compiled.languages):
                continue
            if compiled.predicate(hits, lang, author):
                matched.append(query_id)
        matched.sort()
        return matched

    def match(self, text: Normalized, lang: str = "", author: str = "") -> list[int]:
        """Ids of the queries that match this text, in increasing order."""
        hits, candidates = self.candidates(text, author)
        return self.evaluate(hits, candidates, lang, author) if candidates else []


def _patterns(term: Term) -> list[str]:
    body = " ".join(term.tokens)
    if term.kind == "word":
        return [f" {body} ", f" #{body} ", f" @{body} "]
    if term.kind == "wildcard":
        body = body[: min(i for i, ch in enumerate(body) if ch in "*?")]
        return [f" {body}"] if body[0] in "#@" else [f" {body}", f" #{body}"]
    if term.kind == "prefix":
        return [f" {body}"] if body[0] in "#@" else [f" {body}", f" #{body}"]
    return [f" {body} "]  # phrase, hashtag, mention


_LETTER = r"[\p{L}\p{M}\p{N}_]"


def _wildcard_regex(pattern: str) -> regex.Pattern[str]:
    """`colo*r` → a regex for one token: `*` any letters, `?` one; a plain pattern also its #tag."""
    sign = "" if pattern[0] in "#@" else "#?"
    body = "".join(
        f"{_LETTER}*" if ch == "*" else _LETTER if ch == "?" else regex.escape(ch) for ch in pattern
    )
    return regex.compile(sign + body)
