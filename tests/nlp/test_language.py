"""Language identification: French and English posts, and the cases where the honest answer is ""."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamtam.nlp.language import clean_for_language, detect, detect_batch


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trop bien ce concert hier soir, merci à toute l'équipe !", "fr"),
        ("Je n'ai toujours pas reçu ma commande, c'est inadmissible.", "fr"),
        ("Just got my order and it's perfect, thanks so much!", "en"),
        ("The customer service never answered my emails.", "en"),
        ("Wir haben heute einen neuen Laden in Berlin eröffnet.", "de"),
        ("Hoy hemos abierto una nueva tienda en Madrid, ¡venid a vernos!", "es"),
    ],
)
def test_it_identifies_the_language_of_a_post(text: str, expected: str) -> None:
    assert detect(text) == expected


def test_links_mentions_and_hashtag_signs_do_not_decide_the_language() -> None:
    text = "@BrandSupport https://example.com/en/help #Customer Le colis est arrivé cassé, je suis déçue"
    assert detect(text) == "fr"
    assert "http" not in clean_for_language(text)
    assert "@" not in clean_for_language(text)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😍🔥🔥", "https://example.com/page", "@user @other http", "12/03 10:45 !!!", "ok", "👍 ok"],
)
def test_it_answers_unsure_when_there_is_nothing_to_go_on(text: str) -> None:
    assert detect(text) == ""


def test_a_mixed_post_gets_its_main_language() -> None:
    # Mostly French with an English hashtag and an English quote.
    text = "Franchement le nouveau forfait est génial, le réseau est rapide partout #win so good"
    assert detect(text) == "fr"


def test_right_to_left_text_is_identified() -> None:
    assert detect("أنا سعيد جدا بهذه الخدمة الرائعة") == "ar"
    assert detect("אני מאוד מרוצה מהשירות הזה") == "he"


def test_a_very_long_text_is_handled() -> None:
    assert detect("Le service client est vraiment excellent. " * 500) == "fr"


def test_batch_is_detect_one_by_one() -> None:
    texts = ["Merci beaucoup pour votre aide", "Thank you so much for your help", "🙏", ""]
    assert detect_batch(texts) == [detect(t) for t in texts] == ["fr", "en", "", ""]


def test_detect_batch_gives_what_detect_gives_text_by_text() -> None:
    """The batched scoring reads py3langid's own tables: it must answer as its `classify` does."""
    base = _xlmt()
    texts = ["", "ok", "😍🔥", "http://x.com @bob", "RT @x: via AFP", "CE TEXTE EST EN CAPITALES", "é"]
    for folder in ("french", "english"):
        texts += (base / folder / "val_text.txt").read_text(encoding="utf-8").splitlines()
    assert detect_batch(texts) == [detect(t) for t in texts]
    assert detect_batch([]) == []


def _xlmt() -> Path:
    """../shared/data/sentiment/xlm-t, or a skip saying so (as tests/conftest.py's `shared_path`)."""
    path = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sentiment" / "xlm-t"
    if not path.exists():
        pytest.skip(f"{path} is not here: ../shared/ exists only beside the project's own clones and in CI")
    return path
