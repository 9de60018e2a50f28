"""API schemas of listening: queries (CRUD) and mentions (list with filters)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from tamtam.accounts.schemas import Id, Instant, Text
from tamtam.listening.models import Mention, Query, QueryKind, Sentiment

MAX_PAGE = 200
MAX_OFFSET = 1_000_000


class QueryIn(Schema):
    name: Text = Field(..., max_length=120)
    kind: QueryKind = QueryKind.BRAND
    expression: Text = Field(..., max_length=2000, description="See docs/listening.md for the language.")
    languages: list[str] = Field(default_factory=list, max_length=20)
    enabled: bool = True


class QueryPatch(Schema):
    name: Text | None = Field(None, max_length=120)
    kind: QueryKind | None = None
    expression: Text | None = Field(None, max_length=2000)
    languages: list[str] | None = Field(None, max_length=20)
    enabled: bool | None = None


class QueryOut(Schema):
    id: int
    name: str
    kind: str
    expression: str
    languages: list[str]
    enabled: bool
    created_at: datetime
    updated_at: datetime


def query_out(query: Query) -> dict[str, Any]:
    return {
        "id": query.pk,
        "name": query.name,
        "kind": query.kind,
        "expression": query.expression,
        "languages": list(query.languages or []),
        "enabled": query.enabled,
        "created_at": query.created_at,
        "updated_at": query.updated_at,
    }


class MentionFiltersIn(Schema):
    query: Id | None = Field(None, description="Only mentions matched by this query.")
    sentiment: Sentiment | None = None
    lang: str | None = Field(None, max_length=8)
    source: Id | None = None
    author: str | None = Field(None, max_length=200, description="Part of the author's handle.")
    since: Instant | None = Field(None, description="Published at or after this instant.")
    until: Instant | None = Field(None, description="Published before this instant.")
    include_duplicates: bool = False
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class MentionOut(Schema):
    id: int
    network: str
    remote_id: str
    url: str
    title: str
    text: str
    lang: str
    sentiment: str
    sentiment_score: float
    author: str
    author_followers: int | None
    influence: float
    published_at: datetime
    duplicate_of: str
    queries: list[int]
    sources: list[str]


def mention_out(mention: Mention, queries: list[int], sources: list[str]) -> dict[str, Any]:
    return {
        "id": mention.pk,
        "network": mention.network,
        "remote_id": mention.remote_id,
        "url": mention.url,
        "title": mention.title,
        "text": mention.text,
        "lang": mention.lang,
        "sentiment": mention.sentiment,
        "sentiment_score": mention.sentiment_score,
        "author": mention.author_handle,
        "author_followers": mention.author.followers if mention.author else None,
        "influence": mention.influence,
        "published_at": mention.published_at,
        "duplicate_of": mention.duplicate_of_hash,
        "queries": queries,
        "sources": sources,
    }


class MentionPage(Schema):
    items: list[MentionOut]
    count: int
    limit: int
    offset: int
