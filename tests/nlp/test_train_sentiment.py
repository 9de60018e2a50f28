"""scripts/train_sentiment.py end to end on a small generated data set (no ../shared needed)."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest

from tamtam.nlp.sentiment import model as sentiment_model

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_sentiment.py"

WORDS = {
    "fr": {
        0: ["nul", "horrible", "déteste", "honte", "décevant", "furieux", "arnaque"],
        1: ["demain", "réunion", "horaires", "lundi", "information", "adresse", "rendez-vous"],
        2: ["génial", "merci", "adore", "parfait", "bravo", "super", "excellent"],
    },
    "en": {
        0: ["awful", "hate", "terrible", "worst", "broken", "angry", "scam"],
        1: ["tomorrow", "meeting", "schedule", "monday", "update", "address", "agenda"],
        2: ["love", "great", "thanks", "perfect", "amazing", "awesome", "excellent"],
    },
}
FILLER = {
    "fr": ["le", "service", "est", "vraiment", "la", "commande"],
    "en": ["the", "service", "is", "really", "my"],
}


def _write(folder: Path, split: str, lang: str, n: int, rng: random.Random) -> None:
    texts, labels = [], []
    for _ in range(n):
        label = rng.randrange(3)
        words = rng.sample(WORDS[lang][label], 2) + rng.sample(FILLER[lang], 3)
        rng.shuffle(words)
        texts.append(" ".join(words) + (" @user http" if rng.random() < 0.3 else ""))
        labels.append(str(label))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{split}_text.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    (folder / f"{split}_labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")


@pytest.fixture
def train_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("train_sentiment", SCRIPT)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_trains_writes_a_loadable_model_and_its_provenance(train_script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    data = tmp_path / "data"
    for lang, name in (("fr", "french"), ("en", "english")):
        _write(data / "xlm-t" / name, "train", lang, 150, rng)
        _write(data / "xlm-t" / name, "val", lang, 60, rng)
    out = tmp_path / "models" / "sentiment.npz"

    assert train_script.main(["--data", str(data), "--out", str(out)]) == 0

    provenance = json.loads((tmp_path / "models" / "sentiment.provenance.json").read_text(encoding="utf-8"))
    assert provenance["data"]["fr"]["train_size"] == 150
    assert provenance["data"]["en"]["train_size"] == 150
    assert set(provenance["validation_macro_f1"]) == {"fr", "en"}
    # The generated data is separable: the trained model must have learnt it.
    assert min(provenance["validation_macro_f1"].values()) > 90
    assert "train_sentiment.py" in provenance["command"]
    assert provenance["sha256"]
    # Each head's C was chosen by cross-validation on train, from the grid, and its scores are kept.
    settings = provenance["settings"]
    for head in ("fr", "en", "*"):
        assert settings["heads"][head]["C"] in settings["cv_grid"]
        assert set(settings["heads"][head]["cv_macro_f1_mean"]) >= {f"{c:g}" for c in settings["cv_grid"]}

    trained = sentiment_model.load(out)
    assert {"fr", "en", "*"} <= set(trained.heads)
    probs = trained.predict_proba(["merci génial parfait", "worst scam ever, I hate it"], ["fr", "en"])
    assert probs.argmax(axis=1).tolist() == [2, 0]


def test_mismatched_text_and_label_counts_are_refused_with_the_files(train_script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "xlm-t" / "french"
    folder.mkdir(parents=True)
    (folder / "train_text.txt").write_text("a\nb\nc\n", encoding="utf-8")
    (folder / "train_labels.txt").write_text("0\n1\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"3 texts but .*train_labels.txt: 2 labels"):
        train_script.read_split(folder, "train")


def test_a_bad_label_is_refused_with_its_line(train_script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "xlm-t" / "english"
    folder.mkdir(parents=True)
    (folder / "train_text.txt").write_text("a\nb\n", encoding="utf-8")
    (folder / "train_labels.txt").write_text("0\npositive\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"train_labels.txt:2: label 'positive' is not 0, 1 or 2"):
        train_script.read_split(folder, "train")
