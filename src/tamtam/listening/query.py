"""The listening query language: a tokenizer and a recursive-descent parser (pure, no Django).

Grammar (lowest precedence first; operators are UPPERCASE, lowercase "and"/"or" are plain words):

    query    := or_expr EOF
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := not_expr (["AND"] not_expr)*          -- juxtaposition is an implicit AND
    not_expr := "NOT" not_expr | near_expr
    near_expr:= primary ("NEAR/" n primary)*           -- n words or fewer between them, either order
    primary  := "(" or_expr ")" | "\"" phrase "\"" | lang:xx | author:@name | #tag | @name | word | pre*

Words are compared after `normalize.fold` (case and accents ignored); a word that folds to several
tokens ("l'Oréal", "coca-cola") is a phrase. Wildcards inside one word: `*` is any number of letters,
`?` exactly one; at least 3 letters come before the first one (`boul*` is a prefix, `colo*r` and
`organi?ation` are checked on each candidate word). Errors are `QuerySyntaxError` with a 1-based
character position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union, cast

import regex
from django.utils.translation import gettext_noop

from tamtam.lib.errors import InvalidInput
from tamtam.listening.normalize import fold, tokenize

MAX_LENGTH = 2000
MAX_NEAR = 50
MAX_DEPTH = 50  # nested parentheses; deeper would exhaust the recursive parser's stack
MIN_PREFIX = 3
_LANG = regex.compile(r"[a-z]{2,3}")
_HANDLE = regex.compile(r"@?[\p{L}\p{N}_.\-]+")
_WILD_BODY = regex.compile(r"[\p{L}\p{M}\p{N}_*?]+")


class QuerySyntaxError(InvalidInput):
    """A malformed query: `position` is 1-based, in characters of the expression as typed.

    `detail` is the reason in English (logs, tests); `message` is translated into the active language
    when it is read, so that a form or an API answer shows it in the user's language."""

    def __init__(self, position: int, template: str, field: str = "expression", **params: object) -> None:
        self.position = position
        self.template = template
        self.params = params
        self.detail = template % params if params else template
        ValueError.__init__(self, f"{field}: position {position}: {self.detail}")
        self.field = field

    @property
    def message(self) -> str:  # type: ignore[override]
        from django.utils.translation import gettext

        reason = gettext(self.template)
        if self.params:
            reason = reason % self.params
        return gettext("position %(position)s: %(reason)s") % {"position": self.position, "reason": reason}


# --- syntax tree -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A word (`kind="word"`), a prefix (`"prefix"`), a hashtag or a mention; `tokens` folded."""

    kind: str  # word | prefix | wildcard | hashtag | mention | phrase
    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Lang:
    code: str


@dataclass(frozen=True, slots=True)
class AuthorIs:
    handle: str  # folded, without "@"


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Near:
    left: Term
    right: Term
    distance: int


Node = Union[Term, Lang, AuthorIs, Not, And, Or, Near]  # noqa: UP007 — a runtime alias


def to_string(node: Node) -> str:
    """A canonical expression that parses back to the same tree."""
    if isinstance(node, Term):
        if node.kind == "phrase":
            return '"' + " ".join(node.tokens) + '"'
        if node.kind == "prefix":
            return node.tokens[0] + "*"
        return node.tokens[0]  # a word, a hashtag, a mention, or a wildcard pattern as typed (folded)
    if isinstance(node, Lang):
        return f"lang:{node.code}"
    if isinstance(node, AuthorIs):
        return f"author:@{node.handle}"
    if isinstance(node, Not):
        return f"NOT {_wrapped(node.child)}"
    if isinstance(node, Near):
        return f"{to_string(node.left)} NEAR/{node.distance} {to_string(node.right)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(_wrapped(c) for c in node.children)


def _wrapped(node: Node) -> str:
    text = to_string(node)
    return f"({text})" if isinstance(node, And | Or | Near) else text


# --- tokenizer ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # LPAREN RPAREN PHRASE AND OR NOT NEAR WORD EOF
    text: str
    pos: int  # 0-based offset of the token's first character
    value: int = 0  # NEAR distance


_NEAR = regex.compile(r"NEAR(?:/(\d*))?")


def lex(expression: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(expression)
    while i < n:
        ch = expression[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(Token("LPAREN" if ch == "(" else "RPAREN", ch, i))
            i += 1
        elif ch in '"“”«»':
            close = _find_closing_quote(expression, i)
            if close < 0:
                raise QuerySyntaxError(i + 1, gettext_noop("unclosed quote"))
            tokens.append(Token("PHRASE", expression[i + 1 : close], i))
            i = close + 1
        else:
            j = i
            while j < n and not expression[j].isspace() and expression[j] not in '()"“”«»':
                j += 1
            word = expression[i:j]
            if word in ("AND", "OR", "NOT"):
                tokens.append(Token(word, word, i))
            elif word.startswith("NEAR") and (m := _NEAR.fullmatch(word)):
                if not m.group(1):
                    raise QuerySyntaxError(i + 1, gettext_noop("NEAR needs a distance, e.g. NEAR/3"))
                distance = int(m.group(1))
                if not 1 <= distance <= MAX_NEAR:
                    raise QuerySyntaxError(
                        i + 1, gettext_noop("NEAR distance must be between 1 and %(max)s"), max=MAX_NEAR
                    )
                tokens.append(Token("NEAR", word, i, distance))
            else:
                tokens.append(Token("WORD", word, i))
            i = j
    tokens.append(Token("EOF", "", n))
    return tokens


def _find_closing_quote(expression: str, start: int) -> int:
    opening = expression[start]
    closers = {"«": "»", "“": "”"}.get(opening, '"”')
    for k in range(start + 1, len(expression)):
        if expression[k] in closers or (opening == "”" and expression[k] in '"”'):
            return k
    return -1


# --- parser ------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = lex(expression)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, tok: Token, template: str, **params: object) -> QuerySyntaxError:
        return QuerySyntaxError(tok.pos + 1, template, "expression", **params)

    def parse(self) -> Node:
        if self.tok.kind == "EOF":
            raise self.error(self.tok, gettext_noop("the query is empty"))
        node = self.or_expr()
        if self.tok.kind == "RPAREN":
            raise self.error(self.tok, gettext_noop("closing parenthesis without an opening one"))
        if self.tok.kind != "EOF":  # pragma: no cover — every token kind is consumed above
            raise self.error(self.tok, gettext_noop("unexpected %(text)r"), text=self.tok.text)
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.tok.kind == "OR":
            op = self.take()
            if self.tok.kind in ("EOF", "RPAREN", "OR", "AND"):
                raise self.error(op, gettext_noop("OR needs a term after it"))
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(_flatten(Or, children)))

    def and_expr(self) -> Node:
        children = [self.not_expr()]
        while True:
            if self.tok.kind == "AND":
                op = self.take()
                if self.tok.kind in ("EOF", "RPAREN", "OR", "AND"):
                    raise self.error(op, gettext_noop("AND needs a term after it"))
                children.append(self.not_expr())
            elif self.tok.kind in ("WORD", "PHRASE", "LPAREN", "NOT"):
                children.append(self.not_expr())  # implicit AND
            else:
                break
        return children[0] if len(children) == 1 else And(tuple(_flatten(And, children)))

    def not_expr(self) -> Node:
        if self.tok.kind == "NOT":
            op = self.take()
            if self.tok.kind in ("EOF", "RPAREN", "OR", "AND"):
                raise self.error(op, gettext_noop("NOT needs a term after it"))
            return Not(self.not_expr())
        return self.near_expr()

    def near_expr(self) -> Node:
        operands = [(self.tok, self.primary())]
        distances: list[int] = []
        while self.tok.kind == "NEAR":
            op = self.take()
            if self.tok.kind in ("EOF", "RPAREN", "OR", "AND", "NEAR"):
                raise self.error(op, gettext_noop("NEAR needs a word or a phrase after it"))
            distances.append(op.value)
            operands.append((self.tok, self.primary()))
        if not distances:
            return operands[0][1]
        for index, (tok, operand) in enumerate(operands):
            if not isinstance(operand, Term):
                if index == 0:
                    raise self.error(tok, gettext_noop("NEAR needs a word or a phrase before it"))
                raise self.error(tok, gettext_noop("NEAR needs a word or a phrase after it"))
        # A chain "a NEAR/2 b NEAR/3 c" means (a NEAR/2 b) AND (b NEAR/3 c).
        nears: list[Node] = [
            Near(cast(Term, operands[k][1]), cast(Term, operands[k + 1][1]), d)
            for k, d in enumerate(distances)
        ]
        return nears[0] if len(nears) == 1 else And(tuple(nears))

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "LPAREN":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(tok, gettext_noop("more than %(max)s nested parentheses"), max=MAX_DEPTH)
            self.take()
            if self.tok.kind == "RPAREN":
                raise self.error(self.tok, gettext_noop("empty parentheses"))
            if self.tok.kind == "EOF":
                raise self.error(tok, gettext_noop("unclosed parenthesis"))
            node = self.or_expr()
            if self.tok.kind != "RPAREN":
                raise self.error(tok, gettext_noop("unclosed parenthesis"))
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "PHRASE":
            self.take()
            words = tokenize(fold(tok.text))
            if not words:
                raise self.error(tok, gettext_noop("empty phrase"))
            return Term("phrase", tuple(words)) if len(words) > 1 else Term("word", (words[0],))
        if tok.kind == "WORD":
            self.take()
            return self.word(tok)
        if tok.kind == "RPAREN":
            raise self.error(tok, gettext_noop("closing parenthesis without an opening one"))
        if tok.kind == "EOF":
            raise self.error(tok, gettext_noop("the query ends too early"))
        raise self.error(tok, gettext_noop("%(text)s needs a term before it"), text=tok.text)

    def word(self, tok: Token) -> Node:
        text = tok.text
        lower = text.lower()
        if lower.startswith("lang:"):
            code = lower[5:]
            if not _LANG.fullmatch(code):
                raise self.error(tok, gettext_noop("lang: needs a language code, e.g. lang:fr"))
            return Lang(code)
        if lower.startswith("author:"):
            handle = text[7:]
            if not handle or not _HANDLE.fullmatch(handle):
                raise self.error(tok, gettext_noop("author: needs a handle, e.g. author:@name"))
            return AuthorIs(fold(handle.lstrip("@")))
        if "*" in text or "?" in text:
            return self.wildcard(tok)
        sign = text[0] if text[0] in "#@" else ""
        words = tokenize(fold(text))
        if not words or (sign and (len(words) != 1 or not words[0].startswith(sign))):
            raise self.error(tok, gettext_noop("%(text)r is not a word"), text=text)
        if len(words) > 1:
            return Term("phrase", tuple(words))
        word = words[0]
        kind = "hashtag" if word.startswith("#") else "mention" if word.startswith("@") else "word"
        return Term(kind, (word,))

    def wildcard(self, tok: Token) -> Term:
        text = tok.text
        sign = text[0] if text[0] in "#@" else ""
        body = regex.sub(r"\*+", "*", fold(text[len(sign) :]))
        if not _WILD_BODY.fullmatch(body) or not body.strip("*?"):
            raise self.error(tok, gettext_noop("a wildcard applies to a single word"))
        first = min(i for i, ch in enumerate(body) if ch in "*?")
        if first < MIN_PREFIX:
            raise self.error(
                tok, gettext_noop("at least %(n)s letters before a wildcard * or ?"), n=MIN_PREFIX
            )
        if body.endswith("*") and "*" not in body[:-1] and "?" not in body:
            return Term("prefix", (sign + body[:-1],))
        return Term("wildcard", (sign + body,))


def _flatten(cls: type[And] | type[Or], children: list[Node]) -> list[Node]:
    out: list[Node] = []
    for child in children:
        if isinstance(child, cls):
            out.extend(child.children)
        else:
            out.append(child)
    return out


def parse(expression: str) -> Node:
    """Parse a query expression; raise `QuerySyntaxError` (with its position) when malformed."""
    if len(expression) > MAX_LENGTH:
        raise QuerySyntaxError(
            MAX_LENGTH + 1, gettext_noop("the query is longer than %(max)s characters"), max=MAX_LENGTH
        )
    node = _Parser(expression).parse()
    if _matches_nothing_required(node):
        raise QuerySyntaxError(
            1, gettext_noop("the query would match every mention: add a word, a phrase or an author")
        )
    return node


def _matches_nothing_required(node: Node) -> bool:
    """True when the query is true for a text with no term and no author hit (e.g. `NOT x`, `lang:fr`)."""
    return _eval_empty(node)


def _eval_empty(node: Node) -> bool:
    if isinstance(node, Term | AuthorIs | Near):
        return False
    if isinstance(node, Lang):
        return True
    if isinstance(node, Not):
        return not _eval_empty(node.child)
    if isinstance(node, And):
        return all(_eval_empty(c) for c in node.children)
    return any(_eval_empty(c) for c in node.children)


def terms(node: Node) -> list[Term]:
    """Every term of the tree (NEAR operands included), in order."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Near):
        return [node.left, node.right]
    if isinstance(node, Not):
        return terms(node.child)
    if isinstance(node, And | Or):
        return [t for c in node.children for t in terms(c)]
    return []


def authors(node: Node) -> list[str]:
    if isinstance(node, AuthorIs):
        return [node.handle]
    if isinstance(node, Not):
        return authors(node.child)
    if isinstance(node, And | Or):
        return [a for c in node.children for a in authors(c)]
    return []
