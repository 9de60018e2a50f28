"""Fixtures of the listening tests: queries and a pipeline with a deterministic sentiment backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tamtam.accounts.models import Workspace
from tamtam.listening import services
from tamtam.listening.models import Query, Source, SourceKind
from tamtam.listening.pipeline import Pipeline


@pytest.fixture
def make_query(workspace: Workspace) -> Callable[..., Query]:
    counter = iter(range(1, 10_000))

    def make(expression: str, ws: Workspace | None = None, **kwargs: Any) -> Query:
        kwargs.setdefault("name", f"Query {next(counter)}")
        return services.save_query(ws or workspace, expression=expression, **kwargs)

    return make


@pytest.fixture
def make_source(workspace: Workspace) -> Callable[..., Source]:
    counter = iter(range(1, 10_000))

    def make(kind: str = SourceKind.SANDBOX, ws: Workspace | None = None, **kwargs: Any) -> Source:
        n = next(counter)
        kwargs.setdefault("name", f"Source {n}")
        return Source.objects.create(workspace=ws or workspace, kind=kind, **kwargs)

    return make


@pytest.fixture
def pipeline() -> Pipeline:
    # The lexicon backend (VADER fr/en) gives labels these tests can rely on; the shipped model is
    # tested by the nlp tests.
    return Pipeline(sentiment_backend="lexicon")


@pytest.fixture(autouse=True)
def _fresh_listening_state() -> Iterator[None]:
    # The worker's pipeline and compiled matcher live for the process; each test starts clean.
    from tamtam.listening import matching, sources

    sources._pipeline = Pipeline(sentiment_backend="lexicon")
    matching._matcher = None
    yield
    sources._pipeline = None
    matching._matcher = None
