"""`tamtam sentiment classify --lang fr|en|auto [--scores] [--backend …]`: one text per line on stdin.

Writes one line per input line, in order: `negative`, `neutral` or `positive`; with `--scores`, the
label then the three probabilities (negative, neutral, positive), tab-separated. A blank line (empty or
only spaces) expresses nothing: it is answered `neutral` (probabilities 0, 1, 0) so the output stays
aligned with the input, and a warning naming the line goes to stderr. Lines are read in batches so a
long stream starts answering at once. The work is done by `tamtam.nlp.sentiment`; this only reads and
writes.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tamtam.web.management.commands._textlines import batches

BATCH = 2000


class Command(BaseCommand):
    help = "Classify the sentiment of texts read one per line on stdin."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        classify = sub.add_parser("classify", help="negative|neutral|positive for each line of stdin")
        classify.add_argument("--lang", default="auto", help="fr, en (or any ISO 639-1 code), or auto")
        classify.add_argument("--scores", action="store_true", help="also print the three probabilities")
        classify.add_argument(
            "--backend", default="auto", choices=["auto", "lexicon", "model", "transformers"]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from tamtam.nlp.sentiment import SentimentBackendError, classify

        lang = str(options["lang"]).strip().lower()
        if lang != "auto" and (len(lang) != 2 or not lang.isalpha()):
            raise CommandError(
                _("--lang: %(value)r is not a two-letter language code or auto") % {"value": lang}
            )
        out = cast(TextIO, self.stdout._out)  # the raw stream: labels are data, not styled messages
        for first_line, lines in batches(sys.stdin, BATCH):
            blank = [not line.strip() for line in lines]
            for offset, is_blank in enumerate(blank):
                if is_blank:
                    self.stderr.write(
                        _("line %(number)d: blank, answered neutral") % {"number": first_line + offset}
                    )
            texts = [line for line, is_blank in zip(lines, blank, strict=True) if not is_blank]
            try:
                results = iter(
                    classify(
                        texts, None if lang == "auto" else [lang] * len(texts), backend=options["backend"]
                    )
                )
            except SentimentBackendError as exc:
                raise CommandError(str(exc)) from exc
            for is_blank in blank:
                if is_blank:
                    label, scores = "neutral", (0.0, 1.0, 0.0)
                else:
                    result = next(results)
                    label = result.label
                    scores = (result.scores["negative"], result.scores["neutral"], result.scores["positive"])
                if options["scores"]:
                    out.write(label + "\t" + "\t".join(f"{s:.4f}" for s in scores) + "\n")
                else:
                    out.write(label + "\n")
            out.flush()
