"""`tamtam language detect`: the ISO 639-1 code of each line of stdin, or `und` when unsure.

One output line per input line, in order. "Unsure" (too short, emoji or links only, a blank line) is
written `und` (ISO 639's code for "undetermined") so the line is never empty; the API returns "".
"""

from __future__ import annotations

import sys
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandParser

from tamtam.web.management.commands._textlines import batches

BATCH = 2000


class Command(BaseCommand):
    help = "Identify the language of texts read one per line on stdin."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("detect", help="the ISO 639-1 code of each line of stdin (und when unsure)")

    def handle(self, *args: Any, **options: Any) -> None:
        from tamtam.nlp.language import detect_batch

        out = cast(TextIO, self.stdout._out)
        for _first, lines in batches(sys.stdin, BATCH):
            out.write("".join((code or "und") + "\n" for code in detect_batch(lines)))
            out.flush()
