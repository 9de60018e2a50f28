"""Run a management command and get (exit code, stdout, stderr), as a shell would see them."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.fixture
def run() -> Callable[..., tuple[int, str, str]]:
    def call(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(*args, stdout=out, stderr=err)
        except CommandError as exc:
            err.write(str(exc))
            return exc.returncode, out.getvalue(), err.getvalue()
        return 0, out.getvalue(), err.getvalue()

    return call
