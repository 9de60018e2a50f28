"""`tamtam crisis replay`: back-test the live crisis detector on a history.

    tamtam crisis replay FILE.csv [--sensitivity low|normal|high] [--profile EXPERT.json]

FILE.csv holds `timestamp,value` rows (header optional, any regular step, `-` reads stdin); stdout
gets `timestamp,value,score,alert` rows scored by exactly the detector the live rules run.
`--profile` gives expert parameters (a JSON object, in a file or inline) over the sensitivity.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tamtam.crisis.detectors import SENSITIVITIES, params_for
from tamtam.crisis.series import SeriesError, read_series, replay


def _expert(value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    text = value
    if not value.lstrip().startswith("{"):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                _("--profile: cannot read %(path)s: %(reason)s") % {"path": value, "reason": exc.strerror}
            ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(
            _("--profile: not JSON (line %(line)s, column %(col)s): %(msg)s")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from None
    if not isinstance(data, dict):
        raise CommandError(_("--profile: expected a JSON object of detector parameters"))
    return data


class Command(BaseCommand):
    help = "Crisis detection tools: replay a series through the live detector."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{replay}")
        rep = actions.add_parser("replay", help="Score a timestamp,value CSV with the live detector.")
        rep.add_argument("file", help="CSV of timestamp,value rows ('-': standard input).")
        rep.add_argument("--sensitivity", choices=SENSITIVITIES, default="normal")
        rep.add_argument("--profile", help="Expert parameters: a JSON file or an inline JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            params = params_for(options["sensitivity"], _expert(options.get("profile")))
        except ValueError as exc:
            raise CommandError(f"--profile: {exc}") from None
        name = options["file"]
        try:
            if name == "-":
                series = read_series(sys.stdin)
            else:
                with open(name, encoding="utf-8", newline="") as fh:
                    series = read_series(fh)
        except OSError as exc:
            raise CommandError(
                _("cannot read %(path)s: %(reason)s") % {"path": name, "reason": exc.strerror}
            ) from None
        except UnicodeDecodeError as exc:
            raise CommandError(
                _("%(path)s is not UTF-8 text (byte %(pos)s)") % {"path": name, "pos": exc.start}
            ) from None
        except SeriesError as exc:
            reason = _(exc.template) % exc.params
            raise CommandError(
                _("%(path)s: line %(line)s: %(reason)s") % {"path": name, "line": exc.line, "reason": reason}
            ) from None
        # Everything is read and checked before the first row is written: no partial output.
        out = self.stdout
        out.write("timestamp,value,score,alert")
        for row, score in replay(series, params):
            out.write(f"{row.text_ts},{row.value:g},{score.score:.6f},{int(score.alert)}")
