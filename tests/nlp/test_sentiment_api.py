"""The sentiment API's contract, the lexicon baseline's polarity, and the shipped model on clear posts."""

from __future__ import annotations

import math

import pytest

from tamtam.nlp import sentiment
from tamtam.nlp.sentiment import LABELS, MAX_CHARS, Sentiment, SentimentBackendError, classify, classify_one

POSTS = [
    ("J'adore ce produit, il est génial et le service client est parfait !", "fr", "positive"),
    ("Merci beaucoup, super équipe, je recommande vivement 😍", "fr", "positive"),
    ("Le colis est arrivé cassé, service client nul, je suis furieux.", "fr", "negative"),
    ("Quelle honte, c'est vraiment horrible et décevant 😡", "fr", "negative"),
    ("I love this product, it is amazing and the support team is wonderful!", "en", "positive"),
    ("Best concert ever, thank you so much, great night 😍", "en", "positive"),
    ("This is the worst service ever, terrible and disappointing.", "en", "negative"),
    ("I hate this update, it is awful and broke everything 😡", "en", "negative"),
]


def _assert_valid(result: Sentiment) -> None:
    assert result.label in LABELS
    assert set(result.scores) == set(LABELS)
    assert all(0.0 <= p <= 1.0 for p in result.scores.values())
    assert math.isclose(sum(result.scores.values()), 1.0, abs_tol=1e-9)
    assert result.label == max(result.scores, key=result.scores.__getitem__)


@pytest.mark.parametrize("backend", ["lexicon", "model", "auto"])
def test_every_result_is_a_label_with_probabilities_summing_to_one(backend: str) -> None:
    texts = [text for text, _, _ in POSTS] + ["😍", "Rendez-vous à 15 h.", "Meeting at 3pm."]
    for result in classify(texts, backend=backend):
        _assert_valid(result)


@pytest.mark.parametrize("backend", ["lexicon", "model"])
def test_a_batch_gives_the_same_as_one_by_one(backend: str) -> None:
    texts = [text for text, _, _ in POSTS]
    langs = [lang for _, lang, _ in POSTS]
    batch = classify(texts, langs, backend=backend)
    for text, lang, result in zip(texts, langs, batch, strict=True):
        one = classify_one(text, lang, backend=backend)
        assert one.label == result.label
        for label in LABELS:
            assert math.isclose(one.scores[label], result.scores[label], rel_tol=1e-9, abs_tol=1e-12)


def test_languages_are_detected_when_not_given() -> None:
    texts = [text for text, _, _ in POSTS]
    langs = [lang for _, lang, _ in POSTS]
    assert classify(texts) == classify(texts, langs)
    # One missing language in a list is detected too.
    assert classify(texts[:2], ["fr", ""]) == classify(texts[:2], ["fr", "fr"])


def test_langs_must_match_texts() -> None:
    with pytest.raises(ValueError, match="langs has 1 items for 2 texts"):
        classify(["a", "b"], ["fr"])


def test_an_unknown_backend_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown sentiment backend 'bert'.*lexicon"):
        classify(["hello"], backend="bert")


@pytest.mark.parametrize("backend", ["lexicon", "model"])
def test_blank_texts_are_neutral_for_certain(backend: str) -> None:
    for text in ("", "   ", "\t"):
        result = classify_one(text, backend=backend)
        assert result.label == "neutral"
        assert result.scores == {"negative": 0.0, "neutral": 1.0, "positive": 0.0}
    assert classify([], backend=backend) == []


@pytest.mark.parametrize("backend", ["lexicon", "model"])
def test_emoji_only_posts_get_their_emoji_polarity(backend: str) -> None:
    assert classify_one("😍😍🥰", backend=backend).label == "positive"
    # (VADER's emoji are scored by their description's words: "angry", "crying" are in its lexicon.)
    assert classify_one("😠😢😭", backend=backend).label == "negative"


@pytest.mark.parametrize("backend", ["lexicon", "model"])
def test_a_20000_character_post_is_classified(backend: str) -> None:
    long_post = "Le service est vraiment horrible, je suis furieux. " * 400
    assert len(long_post) > 20_000 > MAX_CHARS
    result = classify_one(long_post, backend=backend)
    _assert_valid(result)
    assert result.label == "negative"


@pytest.mark.parametrize("backend", ["lexicon", "model"])
def test_right_to_left_text_is_classified(backend: str) -> None:
    for result in classify(["أنا سعيد جدا بهذه الخدمة", "אני לא מרוצה בכלל"], backend=backend):
        _assert_valid(result)


@pytest.mark.parametrize(("text", "lang", "expected"), POSTS)
def test_the_lexicon_baseline_gets_clear_posts_right(text: str, lang: str, expected: str) -> None:
    assert classify_one(text, lang, backend="lexicon").label == expected


def test_the_french_lexicon_reads_french_negation() -> None:
    assert classify_one("Ce film n'est pas bon du tout.", "fr", backend="lexicon").label == "negative"


def test_the_shipped_model_loads_and_gets_clear_posts_right() -> None:
    from tamtam.nlp.sentiment import model

    shipped = model.shipped()
    assert {"fr", "en", "*"} <= set(shipped.heads)
    texts = [text for text, _, _ in POSTS]
    langs = [lang for _, lang, _ in POSTS]
    predicted = [r.label for r in classify(texts, langs, backend="model")]
    expected = [label for _, _, label in POSTS]
    right = sum(p == e for p, e in zip(predicted, expected, strict=True))
    assert right >= 7, list(zip(texts, predicted, strict=True))
    # And it is confident on the clearest ones, not merely on the right side of a coin toss.
    assert classify_one("Je déteste, c'est nul et horrible", "fr").scores["negative"] > 0.6
    assert classify_one("I love it, thank you, amazing!", "en").scores["positive"] > 0.6


def test_the_shipped_model_handles_other_languages_with_its_shared_head() -> None:
    _assert_valid(classify_one("Das ist wirklich toll, danke!", "de", backend="model"))


def test_auto_is_the_shipped_model() -> None:
    texts = [text for text, _, _ in POSTS]
    assert classify(texts, backend="auto") == classify(texts, backend="model")


def test_the_transformers_backend_says_clearly_it_is_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sentiment.TRANSFORMERS_PATH_ENV, raising=False)
    with pytest.raises(SentimentBackendError, match=r"no model directory is configured.*TAMTAM_SENTIMENT"):
        classify(["hello"], backend="transformers")


def test_the_transformers_backend_refuses_a_path_that_is_no_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(sentiment.TRANSFORMERS_PATH_ENV, str(tmp_path / "missing"))
    with pytest.raises(SentimentBackendError, match="is not a local model directory"):
        classify(["hello"], backend="transformers")


def test_transformers_labels_are_mapped_by_name_or_by_the_xlm_t_order() -> None:
    from tamtam.nlp.sentiment.transformers_backend import label_order

    assert label_order({0: "Positive", 1: "Negative", 2: "Neutral"}) == [1, 2, 0]
    assert label_order({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}) == [0, 1, 2]
    with pytest.raises(SentimentBackendError, match="not negative/neutral/positive"):
        label_order({0: "joy", 1: "anger"})


def test_a_missing_model_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tamtam.nlp.sentiment import model

    with pytest.raises(SentimentBackendError, match=r"no model file at .*train_sentiment.py"):
        model.load(tmp_path / "nothing.npz")
