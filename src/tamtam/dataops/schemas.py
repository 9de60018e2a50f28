"""API schemas of the data operations."""

from __future__ import annotations

from ninja import Field, Schema


class DeleteIn(Schema):
    confirm: str = Field(max_length=200, description="The workspace's name, typed to confirm the deletion.")


class DeletedOut(Schema):
    workspace_id: int
    name: str
    rows: dict[str, int]
    channels: int
    channels_revoked: int
