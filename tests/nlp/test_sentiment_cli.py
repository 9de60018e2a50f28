"""`tamtam sentiment classify` and `tamtam language detect`: stdin → one line per input line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]


def run(monkeypatch: pytest.MonkeyPatch, stdin: str, *args: str) -> tuple[str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


LINES = (
    "J'adore, c'est génial, merci !\nService nul, je suis furieux.\n"
    "I love it, amazing!\nWorst day ever, I hate it\n"
)


def test_it_writes_one_label_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = run(monkeypatch, LINES, "sentiment", "classify", "--lang", "auto")
    assert out.splitlines() == ["positive", "negative", "positive", "negative"]
    assert err == ""


def test_scores_are_three_tab_separated_probabilities(monkeypatch: pytest.MonkeyPatch) -> None:
    out, _ = run(monkeypatch, LINES, "sentiment", "classify", "--scores")
    for line in out.splitlines():
        label, *probs = line.split("\t")
        assert label in {"negative", "neutral", "positive"}
        assert len(probs) == 3
        values = [float(p) for p in probs]
        assert abs(sum(values) - 1.0) < 1e-3
        assert label == ("negative", "neutral", "positive")[values.index(max(values))]


def test_lang_forces_the_lexicon_of_that_language(monkeypatch: pytest.MonkeyPatch) -> None:
    # "pas" negates in French only: with the French lexicon this is negative.
    out_fr, _ = run(
        monkeypatch,
        "Ce n'est pas bon du tout\n",
        "sentiment",
        "classify",
        "--lang",
        "fr",
        "--backend",
        "lexicon",
    )
    assert out_fr.splitlines() == ["negative"]
    out, _ = run(monkeypatch, LINES, "sentiment", "classify", "--lang", "en", "--backend", "lexicon")
    assert len(out.splitlines()) == 4


def test_a_blank_line_is_neutral_and_named_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = run(monkeypatch, "I love it\n\n   \nI hate it\n", "sentiment", "classify", "--scores")
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["positive", "neutral", "neutral", "negative"]
    assert lines[1] == "neutral\t0.0000\t1.0000\t0.0000"
    assert "line 2: blank, answered neutral" in err
    assert "line 3: blank, answered neutral" in err


def test_a_bad_lang_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="--lang: 'french' is not a two-letter language code"):
        run(monkeypatch, "hello\n", "sentiment", "classify", "--lang", "french")


def test_an_unconfigured_transformers_backend_is_a_clear_command_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TAMTAM_SENTIMENT_TRANSFORMERS_PATH", raising=False)
    with pytest.raises(CommandError, match="no model directory is configured"):
        run(monkeypatch, "hello\n", "sentiment", "classify", "--backend", "transformers")


def test_language_detect_writes_und_when_unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    out, _ = run(monkeypatch, "Bonjour à tous et merci\nThank you all so much\n😍\n\n", "language", "detect")
    assert out.splitlines() == ["fr", "en", "und", "und"]


def test_the_tamtam_command_reads_stdin_and_writes_stdout() -> None:
    # The real executable, as a shell pipeline would run it.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tamtam.settings"}
    done = subprocess.run(
        [sys.executable, "-m", "tamtam.cli", "sentiment", "classify", "--lang", "en"],
        input="I love it, amazing!\nThis is terrible, I hate it.\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "positive\nnegative\n"
