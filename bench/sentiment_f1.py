"""Sentiment quality and speed: macro-F1 per language and texts/s per backend, as a table.

    .venv/bin/python bench/sentiment_f1.py --data ../shared/data/sentiment
    .venv/bin/python bench/sentiment_f1.py --data ../shared/data/sentiment --repeat 20   # steadier speed

Quality: macro-F1 on the XLM-T validation sets (`xlm-t/{french,english}/val_*`, 324 tweets each) for
the lexicon baseline, tamtam's shipped model, and the transformers backend when
TAMTAM_SENTIMENT_TRANSFORMERS_PATH names a local model. Speed: texts per second of `classify` on the
French and English validation tweets together, repeated `--repeat` times as one batch each time, with
the languages given (the pipeline knows them) and, for the model, with them detected as well;
measured in this one process with numpy's thread pools held to one thread, so on one core. The model
is also timed "cold": its per-word feature cache emptied before every batch, as for a stream whose
words are all new. Language identification alone is timed too. For reference, the figures published
in the data's README (XLM-T test sets) are printed beside ours, and the model's margins over them.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

# One core: numpy's BLAS must not spread a batch over threads (set before numpy is imported).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tamtam.nlp import language  # noqa: E402
from tamtam.nlp.sentiment import LABELS, TRANSFORMERS_PATH_ENV, classify  # noqa: E402
from tamtam.nlp.sentiment import model as sentiment_model  # noqa: E402

FOLDERS = {"fr": "french", "en": "english"}
PUBLISHED = {
    "vaderSentiment (published, en test)": {"en": 56.0},
    "vadersentiment-fr (published, fr test)": {"fr": 55.3},
    "fastText (published, test)": {"fr": 54.8, "en": 50.9},
    "fine-tuned XLM-T (published, test)": {"fr": 71.0, "en": 72.0},
}


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return 100 * sum(scores) / len(scores)


def load(data: Path) -> dict[str, tuple[list[str], list[str]]]:
    out = {}
    for lang, folder in FOLDERS.items():
        base = data / "xlm-t" / folder
        texts = (base / "val_text.txt").read_text(encoding="utf-8").splitlines()
        gold = [LABELS[int(x)] for x in (base / "val_labels.txt").read_text(encoding="utf-8").split()]
        out[lang] = (texts, gold)
    return out


def throughput(
    texts: list[str], langs: list[str] | None, backend: str, repeat: int, *, cold: bool = False
) -> tuple[float, float]:
    """Texts per second of wall-clock time and per second of this process's CPU time (one thread: the
    second is the rate of one core, whatever else the machine runs)."""
    classify(texts[:50], None if langs is None else langs[:50], backend=backend)  # load and warm caches
    wall = cpu = 0.0
    for _ in range(repeat):
        if cold:
            sentiment_model.shipped()._unit_cache.clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        classify(texts, langs, backend=backend)
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
    return repeat * len(texts) / wall, repeat * len(texts) / cpu


def rate(speeds: tuple[float, float]) -> str:
    return f"{speeds[1]:,.0f} ({speeds[0]:,.0f} wall)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "sentiment")
    parser.add_argument("--repeat", type=int, default=10, help="batches of all val tweets for the speed")
    args = parser.parse_args()
    if not (args.data / "xlm-t").is_dir():
        print(f"no XLM-T data under {args.data}: give --data ../shared/data/sentiment", file=sys.stderr)
        return 2
    data = load(args.data)
    backends = ["lexicon", "model"]
    if os.environ.get(TRANSFORMERS_PATH_ENV):
        backends.append("transformers")

    all_texts = [t for lang in FOLDERS for t in data[lang][0]]
    all_langs = [lang for lang in FOLDERS for _ in data[lang][0]]
    rows = []
    for backend in backends:
        f1 = {}
        for lang, (texts, gold) in data.items():
            f1[lang] = macro_f1(
                gold, [r.label for r in classify(texts, [lang] * len(texts), backend=backend)]
            )
        speed = throughput(all_texts, all_langs, backend, args.repeat)
        rows.append((f"tamtam {backend}", f1, rate(speed)))
    cold = throughput(all_texts, all_langs, "model", args.repeat, cold=True)
    rows.append(("tamtam model, cold word cache", rows[1][1], rate(cold)))
    detected = {}
    for lang, (texts, gold) in data.items():
        detected[lang] = macro_f1(gold, [r.label for r in classify(texts, None, backend="model")])
    speed = throughput(all_texts, None, "model", args.repeat)
    rows.append(("tamtam model, languages detected", detected, rate(speed)))
    for name, figures in PUBLISHED.items():
        rows.append((name, figures, ""))

    start_cpu = time.process_time()
    sum(range(10_000_000))  # a fixed pure-Python workload: how fast this core runs now, to compare runs
    reference = time.process_time() - start_cpu
    print(f"# sentiment, XLM-T val (324 tweets per language); {platform.python_version()}, one process")
    print(f"# CPU reference: sum(range(10**7)) took {reference:.3f} s of CPU time on this core")
    print("| backend | macro-F1 fr | macro-F1 en | texts/s per core (CPU time) |")
    print("|---|---|---|---|")
    for name, figures, speed_text in rows:
        fr = f"{figures['fr']:.1f}" if "fr" in figures else "—"
        en = f"{figures['en']:.1f}" if "en" in figures else "—"
        print(f"| {name} | {fr} | {en} | {speed_text} |")

    model_f1 = rows[1][1]
    print()
    print("| tamtam model against | fr | en |")
    print("|---|---|---|")
    for name, figures in [("acceptance bar (65)", {"fr": 65.0, "en": 65.0}), *PUBLISHED.items()]:
        cells = [
            f"{model_f1[lang] - figures[lang]:+.1f}" if lang in figures else "—" for lang in ("fr", "en")
        ]
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    print(
        f"| lexicon baseline (measured here) | {model_f1['fr'] - rows[0][1]['fr']:+.1f} | "
        f"{model_f1['en'] - rows[0][1]['en']:+.1f} |"
    )

    language.detect_batch(all_texts[:50])
    start = time.perf_counter()
    for _ in range(args.repeat):
        found = language.detect_batch(all_texts)
    lang_speed = args.repeat * len(all_texts) / (time.perf_counter() - start)
    right = sum(f == g for f, g in zip(found, all_langs, strict=True))
    unsure = sum(f == "" for f in found)
    print()
    print("| language identification | accuracy | unsure | texts/s |")
    print("|---|---|---|---|")
    print(
        f"| tamtam.nlp.language (py3langid) | {100 * right / len(found):.1f} % | "
        f"{100 * unsure / len(found):.1f} % | {lang_speed:,.0f} |"
    )
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        print("| lingua-language-detector | not installed (pip install lingua-language-detector) | | |")
    else:
        detector = LanguageDetectorBuilder.from_all_languages().build()

        def lingua(text: str) -> str:
            cleaned = language.clean_for_language(text)
            found = detector.detect_language_of(cleaned) if len(cleaned) >= language.MIN_LETTERS else None
            return found.iso_code_639_1.name.lower() if found else ""

        lingua(all_texts[0])
        start = time.perf_counter()
        found = [lingua(t) for t in all_texts]
        lingua_speed = len(all_texts) / (time.perf_counter() - start)
        right = sum(f == g for f, g in zip(found, all_langs, strict=True))
        unsure = sum(f == "" for f in found)
        print(
            f"| lingua-language-detector (same cleaning) | {100 * right / len(found):.1f} % | "
            f"{100 * unsure / len(found):.1f} % | {lingua_speed:,.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
