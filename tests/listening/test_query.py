"""The query language: every operator, precedence, canonical round trip, errors with positions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tamtam.lib.errors import InvalidInput
from tamtam.listening.query import (
    And,
    AuthorIs,
    Lang,
    Near,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    parse,
    to_string,
)


def w(word: str) -> Term:
    return Term("word", (word,))


def test_a_single_word_is_a_term_folded_to_lowercase_without_accents() -> None:
    assert parse("Éclair") == w("eclair")


def test_juxtaposition_is_an_implicit_and() -> None:
    assert parse("pain beurre") == And((w("pain"), w("beurre")))
    assert parse("pain AND beurre") == parse("pain beurre")


def test_and_binds_tighter_than_or() -> None:
    assert parse("a OR b c") == Or((w("a"), And((w("b"), w("c")))))
    assert parse("a b OR c") == Or((And((w("a"), w("b"))), w("c")))


def test_parentheses_override_precedence() -> None:
    assert parse("(a OR b) c") == And((Or((w("a"), w("b"))), w("c")))


def test_not_binds_tightest_and_applies_to_the_next_operand() -> None:
    assert parse("a NOT b c") == And((w("a"), Not(w("b")), w("c")))
    assert parse("a NOT (b OR c)") == And((w("a"), Not(Or((w("b"), w("c"))))))


def test_lowercase_and_or_not_are_plain_words() -> None:
    assert parse("rock and roll") == And((w("rock"), w("and"), w("roll")))


def test_exact_phrase_keeps_word_order() -> None:
    assert parse('"Pain au Chocolat"') == Term("phrase", ("pain", "au", "chocolat"))


def test_french_quotes_make_a_phrase_too() -> None:
    assert parse("« service client »") == Term("phrase", ("service", "client"))


def test_a_word_with_an_apostrophe_or_a_hyphen_is_a_phrase() -> None:
    assert parse("L'Oréal") == Term("phrase", ("l", "oreal"))
    assert parse("coca-cola") == Term("phrase", ("coca", "cola"))


def test_wildcard_is_a_prefix() -> None:
    assert parse("boul*") == Term("prefix", ("boul",))
    assert parse("#Boul**") == Term("prefix", ("#boul",))


def test_wildcards_inside_a_word_star_for_letters_question_mark_for_one() -> None:
    assert parse("Colo*r") == Term("wildcard", ("colo*r",))
    assert parse("organi?ation") == Term("wildcard", ("organi?ation",))
    assert parse("#vélo?") == Term("wildcard", ("#velo?",))


def test_hashtag_and_mention_terms_keep_their_sign() -> None:
    assert parse("#Lumen OR @LumenBikes") == Or(
        (Term("hashtag", ("#lumen",)), Term("mention", ("@lumenbikes",)))
    )


def test_lang_and_author_filters() -> None:
    assert parse("lumen lang:FR author:@Jean_Dupont") == And(
        (w("lumen"), Lang("fr"), AuthorIs("jean_dupont"))
    )


def test_near_takes_a_distance_and_two_terms() -> None:
    assert parse('batterie NEAR/3 "prend feu"') == Near(w("batterie"), Term("phrase", ("prend", "feu")), 3)


def test_a_near_chain_is_a_conjunction_of_pairs() -> None:
    assert parse("a NEAR/2 b NEAR/4 c") == And((Near(w("a"), w("b"), 2), Near(w("b"), w("c"), 4)))


def test_near_binds_tighter_than_and() -> None:
    assert parse("x a NEAR/2 b") == And((w("x"), Near(w("a"), w("b"), 2)))


@pytest.mark.parametrize(
    ("expression", "position", "message"),
    [
        ("lumen AND (kaldo OR brivio", 11, "unclosed parenthesis"),
        ("lumen)", 6, "closing parenthesis without an opening one"),
        ('lumen "service client', 7, "unclosed quote"),
        ("lumen AND", 7, "AND needs a term after it"),
        ("OR lumen", 1, "OR needs a term before it"),
        ("lumen OR", 7, "OR needs a term after it"),
        ("lumen NOT", 7, "NOT needs a term after it"),
        ("lumen NEAR kaldo", 7, "NEAR needs a distance, e.g. NEAR/3"),
        ("lumen NEAR/0 kaldo", 7, "NEAR distance must be between 1 and 50"),
        ("lumen NEAR/3 (a OR b)", 14, "NEAR needs a word or a phrase after it"),
        ("(a b) NEAR/3 c", 1, "NEAR needs a word or a phrase before it"),
        ("lu*", 1, "at least 3 letters before a wildcard * or ?"),
        ("lu*men", 1, "at least 3 letters before a wildcard * or ?"),
        ("lu?en", 1, "at least 3 letters before a wildcard * or ?"),
        ("lum*n-x", 1, "a wildcard applies to a single word"),
        ("***", 1, "a wildcard applies to a single word"),
        ("(" * 51 + "a" + ")" * 51, 51, "more than 50 nested parentheses"),
        ("lang:french", 1, "lang: needs a language code, e.g. lang:fr"),
        ("author:", 1, "author: needs a handle, e.g. author:@name"),
        ("", 1, "the query is empty"),
        ("   ", 4, "the query is empty"),
        ("lumen ()", 8, "empty parentheses"),
        ('lumen ""', 7, "empty phrase"),
        ("NOT lumen", 1, "the query would match every mention: add a word, a phrase or an author"),
        ("lang:fr", 1, "the query would match every mention: add a word, a phrase or an author"),
        ("lumen OR NOT kaldo", 1, "the query would match every mention: add a word, a phrase or an author"),
        ("!!!", 1, "'!!!' is not a word"),
    ],
)
def test_malformed_queries_are_refused_with_the_position(
    expression: str, position: int, message: str
) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(expression)
    assert caught.value.position == position
    assert caught.value.detail == message
    assert str(caught.value) == f"expression: position {position}: {message}"
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.field == "expression"


def test_an_author_only_query_is_allowed() -> None:
    assert parse("author:@influenceuse") == AuthorIs("influenceuse")


def test_a_too_long_query_is_refused() -> None:
    with pytest.raises(QuerySyntaxError, match="longer than 2000"):
        parse("a " * 1001)


_WORDS = st.sampled_from(
    ["lumen", "kaldo", "vélo", "batterie", "#ebike", "@lumen", "boul*", "colo*r", "lum?n", '"prend feu"']
)


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        return draw(_WORDS)
    op = draw(st.sampled_from(["AND", "OR", " ", "NEAR/2", "NOT"]))
    left = draw(expressions(depth + 1))
    right = draw(expressions(depth + 1))
    if op == "NEAR/2":
        return f"{draw(_WORDS)} NEAR/2 {draw(_WORDS)}"
    if op == "NOT":
        return f"{left} NOT ({right})"
    return f"({left}) {op} ({right})"


@settings(max_examples=200, deadline=None)
@given(expressions())
def test_to_string_parses_back_to_the_same_tree(expression: str) -> None:
    tree = parse(expression)
    assert parse(to_string(tree)) == tree
