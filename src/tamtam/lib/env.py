"""Reading one setting from the environment, or from a file named by its `_FILE` twin.

Secrets are passed as files (systemd credentials, Docker or Kubernetes secrets) rather than on a
command line or in a unit file: every `TAMTAM_<name>` can be given as `TAMTAM_<name>_FILE=/path`. Both
set is refused (which one wins would be a guess), and so is a file that cannot be read or is empty.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def read(var: str) -> str | None:
    """The value of `var` (e.g. "TAMTAM_SECRET_KEY"), from `var_FILE` when that is set; None if unset.
    A file's trailing newline is stripped (editors and `echo` add one)."""
    file_var = f"{var}_FILE"
    file_path = os.environ.get(file_var)
    if not file_path:
        return os.environ.get(var)
    if os.environ.get(var):
        raise ImproperlyConfigured(f"{var} and {file_var} are both set: keep only one of them")
    try:
        value = Path(file_path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ImproperlyConfigured(f"{file_var}: cannot read {file_path}: {reason}") from None
    if not value:
        raise ImproperlyConfigured(f"{file_var}: {file_path} is empty")
    return value
