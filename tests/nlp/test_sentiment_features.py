"""The model's one-pass vectorisation gives exactly the features that `features` defines one by one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tamtam.nlp.sentiment import features, model

TEXTS = [
    "Service client au top, merci !!! 😍 @marie http://x.co/a",
    "Ce n'est pas bon du tout, jamais plus. #déçu",
    "I don't like it at ALL :( worst update ever",
    "okay i\\u2019m sorry\\u002c c\\u2019mon",  # escapes left by an export, as in the XLM-T English data
    "Trooooop bien, not bad, #NotBad",
    "!!!",
    "",
]
LANGS = ["fr", "fr", "en", "en", "fr", "en", "de"]


@pytest.fixture(scope="module")
def vocabulary() -> dict[str, int]:
    feats = sorted({f for text in TEXTS for f in features.analyze(text)})
    return {f: i for i, f in enumerate(feats)}


def test_vectorize_matches_analyze_and_dense_row(vocabulary: dict[str, int]) -> None:
    idf = np.linspace(1.0, 3.0, len(vocabulary))
    blocks = model.feature_blocks(vocabulary)
    cache: dict = {}
    for _ in range(2):  # a second pass reads every token from the cache: same answer
        row, col, val, dense = model.vectorize(TEXTS, LANGS, vocabulary, idf, blocks, cache)
        lex = features.lexicons()
        for i, (text, lang) in enumerate(zip(TEXTS, LANGS, strict=True)):
            expected = Counter(vocabulary[f] for f in features.analyze(text))
            assert Counter(col[row == i].tolist()) == expected
            toks = features.tokens(features.normalize(text))
            assert dense[i] == pytest.approx(features.dense_row(text, toks, lang, lex))
            # Each block of a row is normalised on its own (over occurrences: see `vectorize`).
            for block in (0, 1):
                mine = (row == i) & (blocks[col] == block)
                if mine.any():
                    assert np.sqrt((val[mine] ** 2).sum()) == pytest.approx(1.0)


def test_normalisation_makes_live_posts_look_like_the_training_data() -> None:
    assert features.normalize("Merci @Marie_D ! https://t.co/xyz") == "merci  @user  !  http "
    assert features.normalize("SOOOO gooood") == "soo good"
    assert features.normalize("it\\u2019s l\u2019été") == "it's l'été"
    assert "n:bon" in features.analyze("pas bon")
    assert "n:bon" not in features.analyze("bon, pas mal")


TRICKY = [
    "Don't you DARE, I can't even :( :-) <3 8) ;p",
    "C'est «génial» !!! ?? 🇫🇷🇫🇷 👩‍👩‍👧 #Top_2024 @user http",
    "soooo gooood... 1111 !!!! aaa' n't nnn't dooon't",
    "e\u0301te\u0301 ﬁn Ⅻ ①②  \uff46\uff55\uff4c\uff4c width \uff03tag",
    "",
    "   ",
    "ok",
]


def _corpus() -> list[str]:
    texts = list(TRICKY)
    base = _xlmt()
    for folder in ("french", "english"):
        texts += (base / folder / "val_text.txt").read_text(encoding="utf-8").splitlines()
    return texts


def test_fast_tokenizer_and_batch_normalisation_are_the_definitions() -> None:
    texts = _corpus()
    normalized = [features.normalize(t) for t in texts]
    assert features.normalize_batch(texts) == normalized
    assert features.normalize_batch([]) == []
    assert features.normalize_batch(["aaa"]) == ["aa"]
    for text in normalized:
        assert features.tokens(text) == features.reference_tokens(text), text


def test_predict_proba_is_the_tf_idf_dot_product_of_vectorize() -> None:
    """The stacked, idf-folded inference gives the probabilities of the plain triplets times weights."""
    texts = _corpus()
    langs = ["fr" if i % 3 == 0 else "en" if i % 3 == 1 else "de" for i in range(len(texts))]
    shipped = model.shipped()
    row, col, val, dense = model.vectorize(texts, langs, shipped.vocabulary, shipped.idf, shipped.blocks)
    dense = (dense - shipped.dense_mean) / shipped.dense_scale
    vocab_size = len(shipped.idf)
    expected = np.zeros((len(texts), 3))
    for i, lang in enumerate(langs):
        head = shipped.heads[shipped.head_for(lang)]
        mine = row == i
        logits = (val[mine, None] * head.weights[col[mine]]).sum(axis=0)
        logits += dense[i] @ head.weights[vocab_size:] + head.bias
        e = np.exp(logits - logits.max())
        expected[i] = e / e.sum()
    got = shipped.predict_proba(texts, langs)
    assert np.abs(got - expected).max() < 1e-9
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()


def _xlmt() -> Path:
    """../shared/data/sentiment/xlm-t, or a skip saying so (as tests/conftest.py's `shared_path`)."""
    path = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sentiment" / "xlm-t"
    if not path.exists():
        pytest.skip(f"{path} is not here: ../shared/ exists only beside the project's own clones and in CI")
    return path
