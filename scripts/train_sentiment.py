#!/usr/bin/env python3
"""Train tamtam's sentiment model and write it, with its provenance, into the package.

    .venv/bin/python scripts/train_sentiment.py --data ../shared/data/sentiment

Reads labelled tweets laid out like the XLM-T data set (`xlm-t/<language>/train_text.txt` and
`train_labels.txt`, one per line, labels 0 negative / 1 neutral / 2 positive) for the languages
given, trains only on the `train_*` files, reports macro-F1 on the `val_*` files (never trained on,
never used to choose a setting), and writes `src/tamtam/nlp/models/sentiment.npz` and
`sentiment.provenance.json`.

Model: one vocabulary of word/char n-grams (min document frequency `--min-df`) and, per language, a
multinomial logistic regression over those tf-idf features plus dense lexicon features; plus a head
"*" trained on all languages, used for any other language. Each head's regularisation is chosen by
stratified cross-validation on its own training texts (`--C cv`, the default). scikit-learn is needed
here only (the package's inference is numpy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tamtam.nlp.sentiment import features  # noqa: E402
from tamtam.nlp.sentiment.model import (  # noqa: E402
    DEFAULT_PATH,
    FORMAT,
    Head,
    SentimentModel,
    feature_blocks,
    vectorize,
)

LANGUAGES = {"fr": "french", "en": "english"}
CV_GRID = (0.5, 1.0, 2.0)
CV_FOLDS = 5
SOURCES = {
    "fr": "XLM-T French (cardiffnlp/xlm-t @ 874214d; repository Apache-2.0; source data set DEFT 2017, "
    "whose own terms apply)",
    "en": "XLM-T English (cardiffnlp/xlm-t @ 874214d; repository Apache-2.0; source data set SemEval-2017 "
    "Task 4, whose own terms apply)",
}


def read_split(folder: Path, split: str) -> tuple[list[str], list[int]]:
    text_path, label_path = folder / f"{split}_text.txt", folder / f"{split}_labels.txt"
    texts = text_path.read_text(encoding="utf-8").split("\n")
    labels_raw = label_path.read_text(encoding="utf-8").split("\n")
    # A final newline leaves one empty item: drop trailing empties, then the counts must agree.
    while texts and texts[-1] == "":
        texts.pop()
    while labels_raw and labels_raw[-1].strip() == "":
        labels_raw.pop()
    if len(texts) != len(labels_raw):
        raise SystemExit(f"{text_path}: {len(texts)} texts but {label_path}: {len(labels_raw)} labels")
    labels = []
    for number, raw in enumerate(labels_raw, start=1):
        if raw.strip() not in {"0", "1", "2"}:
            raise SystemExit(f"{label_path}:{number}: label {raw!r} is not 0, 1 or 2")
        labels.append(int(raw))
    return texts, labels


def macro_f1(gold: list[int], predicted: list[int]) -> float:
    scores = []
    for k in range(3):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == k and p == k)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != k and p == k)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == k and p != k)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return 100.0 * sum(scores) / 3


def build_vocabulary(texts: list[str], min_df: int) -> tuple[dict[str, int], np.ndarray]:
    """The features seen in at least `min_df` texts, and their smoothed idf (as scikit-learn's)."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(features.analyze(text)))
    words = sorted(w for w, c in df.items() if c >= min_df)
    n = len(texts)
    idf = np.array([math.log((1 + n) / (1 + df[w])) + 1.0 for w in words], dtype=np.float64)
    return {w: i for i, w in enumerate(words)}, idf


def design(model: SentimentModel, texts: list[str], langs: list[str]):  # type: ignore[no-untyped-def]
    from scipy import sparse

    rows, cols, vals, dense = vectorize(texts, langs, model.vocabulary, model.idf, model.blocks)
    x = sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(model.idf)))
    dense = (dense - model.dense_mean) / model.dense_scale
    return sparse.hstack([x, sparse.csr_matrix(dense)], format="csr")


def fit_head(x, y: list[int], c: float) -> Head:  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    # newton-cg: exact convergence in a handful of iterations on these few thousand rows (lbfgs needs
    # hundreds, and stops at slightly different optima from one run to the next).
    clf = LogisticRegression(C=c, max_iter=1000, solver="newton-cg", class_weight="balanced")
    clf.fit(x, y)
    return Head(weights=clf.coef_.T.astype(np.float64).copy(), bias=clf.intercept_.astype(np.float64).copy())


def choose_c(x, y: list[int], grid: tuple[float, ...], folds: int) -> tuple[float, dict[str, float]]:  # type: ignore[no-untyped-def]
    """The C of `grid` chosen by stratified `folds`-fold cross-validation on (x, y), and its scores.

    The "one standard error" rule (Hastie, Tibshirani & Friedman, §7.10): the strongest regularisation
    (smallest C) whose mean macro-F1 over the folds is within one standard error of the best mean. With
    two thousand tweets the best C's lead is within noise, and the more regularised model generalises
    better to posts unlike the training ones. Only training data is used: the validation set stays
    unseen, so its score is an honest estimate."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(y)
    means: dict[float, float] = {}
    errors: dict[float, float] = {}
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
    for c in grid:
        per_fold = []
        for fit_rows, test_rows in splitter.split(np.zeros(len(labels)), labels):
            head = fit_head(x[fit_rows], labels[fit_rows].tolist(), c)
            predicted = (x[test_rows] @ head.weights + head.bias).argmax(axis=1)
            per_fold.append(macro_f1(labels[test_rows].tolist(), predicted.tolist()))
        means[c] = float(np.mean(per_fold))
        errors[c] = float(np.std(per_fold, ddof=1) / math.sqrt(len(per_fold))) if len(per_fold) > 1 else 0.0
    best = max(grid, key=lambda c: means[c])
    chosen = min(c for c in grid if means[c] >= means[best] - errors[best])
    scores = {f"{c:g}": round(means[c], 2) for c in grid} | {"best_standard_error": round(errors[best], 2)}
    return chosen, scores


def parse_c(value: str) -> dict[str, float]:
    """`cv` (chosen per head by cross-validation), `4` (every head) or `fr=4,en=1,*=2` (per head; a
    missing one takes the default 1)."""
    if value == "cv":
        return {}
    if "=" not in value:
        return {"*": float(value), "default": float(value)}
    out: dict[str, float] = {"default": 1.0}
    for item in value.split(","):
        name, _, number = item.partition("=")
        try:
            out[name.strip()] = float(number)
        except ValueError:
            raise SystemExit(f"--C: {item!r} is not head=number (e.g. fr=4,en=1)") from None
    return out


def train_model(
    train: dict[str, tuple[list[str], list[int]]],
    *,
    min_df: int,
    c: float | dict[str, float],
    grid: tuple[float, ...] = CV_GRID,
    folds: int = CV_FOLDS,
    report: dict[str, object] | None = None,
) -> SentimentModel:
    """One vocabulary over every language's texts; a head per language and "*" over all of them.

    `c` is the inverse regularisation strength, one for all heads or per head (see `parse_c`); a head
    without one (`c == {}`: every head) gets the best of `grid` by cross-validation on its training
    texts, and the scores are put in `report` (head → {"C": chosen, "cv_macro_f1": {C: score}})."""
    cs = c if isinstance(c, dict) else {"default": c}
    chosen: dict[str, object] = {} if report is None else report

    def head(name: str, x, y: list[int]) -> Head:  # type: ignore[no-untyped-def]
        value = cs.get(name, cs.get("default"))
        if value is None:
            value, scores = choose_c(x, y, grid, folds)
            chosen[name] = {"C": value, "cv_macro_f1_mean": scores}
            print(f"head {name}: C={value:g} by {folds}-fold cross-validation on train {scores}", flush=True)
        else:
            chosen[name] = {"C": value}
        return fit_head(x, y, value)

    langs = list(train)
    all_texts = [t for lang in langs for t in train[lang][0]]
    all_langs = [lang for lang in langs for _ in train[lang][0]]
    all_labels = [y for lang in langs for y in train[lang][1]]
    vocabulary, idf = build_vocabulary(all_texts, min_df)
    dense = vectorize(all_texts, all_langs, vocabulary, idf, feature_blocks(vocabulary))[3]
    model = SentimentModel(
        vocabulary=vocabulary,
        idf=idf,
        dense_mean=dense.mean(axis=0),
        dense_scale=np.where(dense.std(axis=0) > 0, dense.std(axis=0), 1.0),
    )
    x_all = design(model, all_texts, all_langs)
    offset = 0
    for lang in langs:
        n = len(train[lang][0])
        model.heads[lang] = head(lang, x_all[offset : offset + n], train[lang][1])
        offset += n
    model.heads["*"] = head("*", x_all, all_labels)
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "sentiment")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--languages", default="fr,en", help="comma-separated ISO codes (default fr,en)")
    parser.add_argument("--min-df", type=int, default=2)
    parser.add_argument(
        "--C",
        default="cv",
        dest="c",
        help="inverse regularisation: cv (default: each head's best of --grid by cross-validation on "
        "its training texts), one number, or per head (fr=4,en=1,*=2)",
    )
    parser.add_argument("--grid", default=",".join(f"{c:g}" for c in CV_GRID), help="C values tried by cv")
    parser.add_argument("--folds", type=int, default=CV_FOLDS, help="folds of the cross-validation")
    args = parser.parse_args(argv)

    langs = [code.strip() for code in args.languages.split(",") if code.strip()]
    train: dict[str, tuple[list[str], list[int]]] = {}
    val: dict[str, tuple[list[str], list[int]]] = {}
    for lang in langs:
        folder = args.data / "xlm-t" / LANGUAGES.get(lang, lang)
        train[lang] = read_split(folder, "train")
        if (folder / "val_text.txt").is_file():
            val[lang] = read_split(folder, "val")

    try:
        grid = tuple(float(c) for c in args.grid.split(","))
    except ValueError:
        raise SystemExit(f"--grid: {args.grid!r} is not comma-separated numbers") from None
    heads_report: dict[str, object] = {}
    model = train_model(
        train, min_df=args.min_df, c=parse_c(args.c), grid=grid, folds=args.folds, report=heads_report
    )

    figures = {}
    for lang, (texts, labels) in val.items():
        probs = model.predict_proba(texts, [lang] * len(texts))
        figures[lang] = round(macro_f1(labels, probs.argmax(axis=1).tolist()), 2)
        print(f"{lang}: macro-F1 on val ({len(texts)} tweets) = {figures[lang]:.2f}")

    model.meta = {"trained": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"), "languages": langs}
    model.save(args.out)
    provenance = {
        "model": args.out.name,
        "sha256": hashlib.sha256(args.out.read_bytes()).hexdigest(),
        "format": FORMAT + " (numpy arrays, no pickle)",
        "trained_on": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        "command": "python scripts/train_sentiment.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "data": {
            lang: {
                "source": SOURCES.get(lang, f"{args.data}/xlm-t/{lang}"),
                "train_size": len(train[lang][0]),
            }
            for lang in langs
        },
        "vocabulary_size": len(model.vocabulary),
        "settings": {
            "min_df": args.min_df,
            "C": args.c,
            "cv_grid": list(grid),
            "cv_folds": args.folds,
            "cv_rule": "smallest C within one standard error of the best mean macro-F1 over the folds",
            "heads": heads_report,
            "char_ngrams": list(features.CHAR_NGRAMS),
            "class_weight": "balanced",
            "solver": "scikit-learn LogisticRegression (multinomial, L2, newton-cg)",
        },
        "validation_macro_f1": figures,
        "validation_note": "xlm-t val_* files, never used for training",
    }
    prov_path = args.out.with_name(args.out.stem + ".provenance.json")
    prov_path.write_text(json.dumps(provenance, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) and {prov_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
