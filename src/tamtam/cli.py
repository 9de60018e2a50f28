"""The `tamtam` command: a thin wrapper over Django's management commands.

`tamtam run`, `tamtam worker`, `tamtam createuser`, `tamtam import-csv`, `tamtam post list|schedule`
and every Django command (`tamtam migrate`, …) are management commands of tamtam's apps.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else ["tamtam", *argv])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tamtam.settings")
    if len(args) > 1:
        # Dashes read better on a command line; Django's command names use underscores.
        args[1] = args[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
