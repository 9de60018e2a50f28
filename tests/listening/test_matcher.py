"""One Aho-Corasick pass per text for all queries: words, phrases, prefixes, NEAR, accents, filters."""

from __future__ import annotations

import pytest

from tamtam.listening.matcher import Matcher
from tamtam.listening.normalize import canonical_url, normalize
from tamtam.listening.query import parse


def matches(matcher: Matcher, text: str, lang: str = "fr", author: str = "") -> list[int]:
    return matcher.match(normalize(text), lang, author)


@pytest.fixture
def matcher() -> Matcher:
    return Matcher.build(
        [
            (1, "boulangerie", []),
            (2, '"pain au chocolat" NOT chocolatine', []),
            (3, "boul* NEAR/2 paris", []),
            (4, "author:@jean_dupont", []),
            (5, "#cocorico OR @lumen", []),
            (6, "lumen lang:en", []),
            (7, "kaldo", ["fr"]),
            (8, "L'Oréal", []),
            (9, "(lumen OR kaldo) (batterie OR battery) NOT rappel", []),
        ]
    )


def test_case_and_accents_are_ignored(matcher: Matcher) -> None:
    assert matches(matcher, "LA BOULANGÉRIE du coin") == [1]
    assert 8 in matches(matcher, "Mon gel l\u2019OREAL préféré")


def test_a_word_matches_whole_words_only(matcher: Matcher) -> None:
    assert 1 not in matches(matcher, "boulangeries")  # a plural is another word: boulangerie* would catch it
    assert 1 not in matches(matcher, "superboulangerie")


def test_a_plain_word_matches_its_hashtag_and_mention(matcher: Matcher) -> None:
    assert 1 in matches(matcher, "#Boulangerie du jour")
    assert 1 in matches(matcher, "merci @boulangerie")


def test_a_hashtag_term_matches_only_the_hashtag(matcher: Matcher) -> None:
    assert 5 in matches(matcher, "Fier ! #Cocorico")
    assert 5 not in matches(matcher, "cocorico tout court")
    assert 5 in matches(matcher, "merci @Lumen")


def test_a_phrase_needs_its_words_in_order_and_not_excludes(matcher: Matcher) -> None:
    assert 2 in matches(matcher, "Un PAIN au chocolat, svp")
    assert 2 not in matches(matcher, "chocolat au pain")
    assert 2 not in matches(matcher, "pain au chocolat ou chocolatine ?")


def test_near_counts_the_words_between_in_either_order(matcher: Matcher) -> None:
    assert 3 in matches(matcher, "Boulanger à Paris")  # one word between
    assert 3 in matches(matcher, "Paris a une boulangerie")  # reversed, one word between
    assert 3 in matches(matcher, "boulangerie rue de paris")  # two words between: the limit
    assert 3 not in matches(matcher, "boulangerie de la rue paris")  # three between


def test_near_distance_is_exact_at_the_boundary() -> None:
    m = Matcher.build([(1, "alpha NEAR/2 omega", [])])
    assert m.match(normalize("alpha x y omega")) == [1]
    assert m.match(normalize("alpha x y z omega")) == []


def test_author_filter_matches_the_author_not_the_text(matcher: Matcher) -> None:
    assert 4 in matches(matcher, "rien à voir", author="jean_dupont")
    assert 4 not in matches(matcher, "jean_dupont a dit", author="someone")


def test_language_filters(matcher: Matcher) -> None:
    assert 6 in matches(matcher, "lumen is great", lang="en")
    assert 6 not in matches(matcher, "lumen c'est top", lang="fr")
    assert 7 in matches(matcher, "kaldo c'est top", lang="fr")
    assert 7 not in matches(matcher, "kaldo is great", lang="en")


def test_boolean_groups_evaluate_on_the_hits(matcher: Matcher) -> None:
    assert 9 in matches(matcher, "La batterie de mon Kaldo")
    assert 9 not in matches(matcher, "Rappel : batterie Lumen")
    assert 9 not in matches(matcher, "Lumen est super")


def test_many_queries_one_automaton_one_pass() -> None:
    queries = [(i, f"marque{i} OR produit{i}*", []) for i in range(1000)]
    m = Matcher.build(queries)
    # One automaton holds every pattern (3 variants per word, 2 per prefix): no per-query scan.
    assert m.automaton is not None
    assert len(m.automaton) == 1000 * 5
    # produit999xl also starts with produit9 and produit99: those prefix queries match too.
    assert m.match(normalize("J'ai acheté marque17 et produit999xl, pas marque1000")) == [9, 17, 99, 999]


def test_shared_terms_are_compiled_once() -> None:
    m = Matcher.build([(1, "lumen", []), (2, "lumen kaldo", []), (3, "lumen OR brivio", [])])
    assert len(m.term_queries) == 3  # lumen, kaldo, brivio
    assert m.match(normalize("lumen kaldo")) == [1, 2, 3]


def test_a_broken_stored_query_is_skipped_and_reported_without_breaking_the_others() -> None:
    m = Matcher.build([(1, "lumen (", []), (2, "lumen", [])])
    assert m.match(normalize("lumen")) == [2]
    assert m.errors[1].position == 7


def test_a_text_without_words_matches_nothing(matcher: Matcher) -> None:
    assert matches(matcher, "🔥🔥🔥 !!!") == []
    assert matches(matcher, "") == []


def test_urls_are_canonicalised_and_their_words_can_match() -> None:
    assert (
        canonical_url("https://WWW.Lumen.example/News/?utm_source=x&id=3#top")
        == "https://lumen.example/News?id=3"
    )
    m = Matcher.build([(1, "lumen", [])])
    assert m.match(normalize("voir https://www.lumen.example/a?utm_medium=social")) == [1]
    assert normalize("https://www.lumen.example/a?utm_medium=social").urls == ["https://lumen.example/a"]


def test_rtl_text_is_matched_too() -> None:
    m = Matcher.build([(1, "لومن", [])])
    assert m.match(normalize("أحب دراجة لومن الجديدة"), "ar") == [1]


def test_wildcards_inside_a_word_are_checked_on_the_word_found() -> None:
    m = Matcher.build([(1, "colo*r", []), (2, "organi?ation", []), (3, "#velo?", [])])
    assert m.match(normalize("What a colour! Nice color.")) == [1]
    assert m.match(normalize("colorful colossal")) == []  # "colo" found, the word does not fit
    assert m.match(normalize("Une organisation, an organization")) == [2]
    assert m.match(normalize("organiser")) == []
    assert m.match(normalize("#Vélos en ville")) == [3]
    assert m.match(normalize("velos sans hashtag")) == []


def test_a_deeply_nested_query_still_matches() -> None:
    expression = "(" * 50 + "lumen" + ")" * 50 + " NOT kaldo"
    m = Matcher.build([(1, expression, [])])
    assert m.match(normalize("Lumen !")) == [1]
    assert m.match(normalize("Lumen et Kaldo")) == []


def test_the_closure_tree_fallback_matches_like_the_generated_expression() -> None:
    # What a query too deep for Python's compiler is compiled to.
    m = Matcher.build([(1, "(lumen OR #kaldo) NOT rappel", []), (2, "lumen NEAR/1 air lang:fr", [])])
    for qid, expression in ((1, "(lumen OR #kaldo) NOT rappel"), (2, "lumen NEAR/1 air lang:fr")):
        m.queries[qid] = type(m.queries[qid])(qid, frozenset(), m._closure(parse(expression), qid))
    assert m.match(normalize("Lumen !"), "fr") == [1]
    assert m.match(normalize("#Kaldo rappel"), "fr") == []
    assert m.match(normalize("Le Lumen super Air"), "fr") == [1, 2]
    assert m.match(normalize("Le Lumen super Air"), "en") == [1]
