"""The fr/en spell check: no false alarms on real posts, the right suggestion first on real typos."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tamtam.nlp import spellcheck
from tamtam.nlp.spellcheck import check, is_known, suggest, supports

FRENCH_SENTENCES = [
    "Bonjour à tous ! Aujourd'hui, nous lançons notre nouvelle collection d'été : rendez-vous sur notre site "
    "pour découvrir les pièces phares.",
    "C'est peut-être le moment idéal pour profiter de nos offres, qu'il pleuve ou qu'il fasse beau.",
    "L\u2019équipe vous remercie pour votre fidélité et vous souhaite une excellente journée.",
    "Nous sommes ravis d'annoncer l'ouverture de notre boutique à Lyon le 12 juin prochain.",
    "Quelqu'un a-t-il déjà essayé notre nouvelle recette ? Dites-nous ce que vous en pensez en commentaire.",
    "Les inscriptions pour l'atelier de jeudi sont ouvertes jusqu'à vendredi soir, places limitées.",
    "Merci à nos clients : grâce à vous, l'entreprise a doublé son chiffre d'affaires cette année.",
    "Notre directrice générale participera demain à une table ronde sur l'avenir du commerce de proximité.",
    "Vous avez été nombreux à nous écrire : voici les réponses à vos questions les plus fréquentes.",
    "Cette œuvre, créée par une artiste bretonne, sera exposée dans nos locaux jusqu'au mois de septembre.",
    "Suivez-nous sur Instagram et abonnez-vous à notre newsletter pour ne rien manquer.",
]

ENGLISH_SENTENCES = [
    "We're thrilled to announce our new summer collection! Let us know what you think.",
    "Our team's favourite feature? The calendar view, which makes planning a breeze.",
    "It's been an incredible year: thank you to every customer who believed in us.",
    "Don't miss tomorrow's webinar, where we'll share the results of our latest survey.",
]


@pytest.mark.parametrize("sentence", FRENCH_SENTENCES)
def test_correct_french_sentences_have_no_misspelling(sentence):
    assert check(sentence, "fr") == []


@pytest.mark.parametrize("sentence", ENGLISH_SENTENCES)
def test_correct_english_sentences_have_no_misspelling(sentence):
    assert check(sentence, "en") == []


@pytest.mark.parametrize(
    ("word", "lang", "best"),
    [
        ("bonjoure", "fr", "bonjour"),
        ("recieve", "en", "receive"),
        ("deja", "fr", "déjà"),  # accents only
        ("developement", "fr", "développement"),  # an accent and a letter
        ("colection", "fr", "collection"),
        ("apeller", "fr", "appeler"),  # two edits
        ("tommorow", "en", "tomorrow"),  # two edits
        ("definately", "en", "definitely"),
    ],
)
def test_a_misspelled_word_gets_the_right_suggestion_first(word, lang, best):
    [miss] = check(word, lang)
    assert miss.suggestions[0] == best
    assert len(miss.suggestions) <= 5


def test_misspellings_carry_offsets_into_the_original_text():
    text = "Merci ! Bonjoure à tous, voici notre colection."
    found = check(text, "fr")
    assert [(m.word, text[m.start : m.end]) for m in found] == [
        ("Bonjoure", "Bonjoure"),
        ("colection", "colection"),
    ]
    assert found[0].suggestions[0] == "Bonjour"  # capitalised like the word


def test_social_entities_numbers_and_names_are_not_flagged():
    text = (
        "Rdv sur https://tamtam.example/xyzzy?utm=qwxz ou www.qwxzshop.com, écrivez à qwxz@qwxz.fr, "
        "suivez @qwxzabc et #Qwxzfest 🎉👩‍👩‍👧 — 2024, 3e, h24, mp3, COVID-19, ONU, RSVP, iPhone, "
        "LinkedIn, et Gwenaëlle Kerbrat sera là."
    )
    assert check(text, "fr") == []


def test_a_capitalised_unknown_word_is_checked_at_a_sentence_start_only():
    assert check("Merci Kerbrat.", "fr") == []  # a name in mid-sentence
    assert [m.word for m in check("Merci. Bonjoure à tous.", "fr")] == ["Bonjoure"]
    assert [m.word for m in check("Merci !\nBonjoure", "fr")] == ["Bonjoure"]
    assert [m.word for m in check("Voir https://x.fr/a. Bonjoure", "fr")] == ["Bonjoure"]
    assert [m.word for m in check("Voir exemple.fr. Bonjoure", "fr")] == ["Bonjoure"]


@pytest.mark.parametrize(
    "text",
    [
        "l'été",
        "l\u2019été",
        "qu'il",
        "jusqu'à",
        "aujourd'hui",
        "c'est",
        "C\u2019est",
        "d'accord",
        "n'importe",
        "lorsqu'elle",
        "presqu'île",
        "L'Oréal",
        "peut-être",
        "rendez-vous",
        "a-t-il",
        "dit-elle",
        "celui-ci",
        "arc-en-ciel",
        "c'est-à-dire",
    ],
)
def test_french_elisions_and_hyphenated_words_are_understood(text):
    assert check(text, "fr") == []


def test_the_misspelled_part_of_an_elision_or_compound_is_flagged_alone():
    [miss] = check("l'ordinnateur", "fr")
    assert (miss.start, miss.end, miss.word) == (2, 13, "ordinnateur")
    assert miss.suggestions[0] == "ordinateur"
    [miss] = check("peut-êtrre", "fr")
    assert miss.word == "êtrre"
    assert miss.start == 5


@pytest.mark.parametrize(
    "text",
    [
        "don't",
        "isn't",
        "we'll",
        "I'm",
        "the brand's",
        "the brand\u2019s",
        "O'Brien",
    ],
)
def test_english_contractions_and_possessives(text):
    assert check(text, "en") == []


def test_british_spellings_pass_in_english():
    assert check("The colour of our organisation's centre is a favourite.", "en") == []


def test_extra_words_are_accepted_whatever_their_case_or_apostrophe():
    text = "Notre qwxzotron arrive. Qwxzotron est prêt."
    assert [m.word for m in check(text, "fr")] == ["qwxzotron", "Qwxzotron"]
    assert check(text, "fr", extra_words=["QWXZOTRON"]) == []
    assert is_known("qwxzotron", "fr", ["Qwxzotron"])


def test_language_codes_are_normalised_and_unknown_ones_refused():
    assert supports("fr-FR")
    assert supports("en_GB")
    assert not supports("de")
    assert check("Bonjoure", "FR-ca")[0].word == "Bonjoure"
    with pytest.raises(ValueError, match="spell check supports"):
        check("Hallo", "de")


def test_suggest_keeps_the_capitalisation():
    assert suggest("Recieve", "en")[0] == "Receive"


def test_dictionaries_load_once_under_concurrent_first_use(monkeypatch):
    built: list[str] = []
    real = spellcheck._Lexicon

    def counting(lang: str) -> spellcheck._Lexicon:
        built.append(lang)
        return real(lang)

    monkeypatch.setattr(spellcheck, "_LEXICONS", {})
    monkeypatch.setattr(spellcheck, "_Lexicon", counting)
    barrier = threading.Barrier(8)
    results: list[object] = []

    def use() -> None:
        barrier.wait()
        results.append(spellcheck._lexicon("en"))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == ["en"]
    assert len({id(r) for r in results}) == 1


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=120), st.sampled_from(["fr", "en"]))
def test_any_text_gives_well_formed_results(text, lang):
    for miss in check(text, lang):
        assert 0 <= miss.start < miss.end <= len(text)
        assert text[miss.start : miss.end] == miss.word
        assert len(miss.suggestions) <= 5
