"""API: a workspace's data as JSON (GDPR export, streamed) and the deletion of a workspace.

Both are for owners (`export_data`, `delete_workspace`). The deletion takes the workspace's name in
`confirm`, as the page does: an API client deletes nothing by a slip of the id.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Router

from tamtam.accounts.api import COMMON, member_for
from tamtam.accounts.permissions import Cap
from tamtam.accounts.schemas import PathId
from tamtam.dataops import services
from tamtam.dataops.schemas import DeletedOut, DeleteIn
from tamtam.dataops.views import export_response

router = Router(tags=["data"])


@router.get(
    "/workspaces/{ws}/export",
    response={200: dict[str, Any], **COMMON},
    summary="Everything the workspace holds, as one JSON document (streamed; no secrets)",
)
def export_workspace(request: HttpRequest, ws: PathId) -> StreamingHttpResponse:
    member = member_for(request, ws, Cap.EXPORT_DATA)
    return export_response(member.workspace)


@router.post(
    "/workspaces/{ws}/delete",
    response={200: DeletedOut, **COMMON},
    summary="Delete the workspace and everything in it (owners; `confirm` is its name)",
)
def delete_workspace(request: HttpRequest, ws: PathId, payload: DeleteIn) -> dict[str, Any]:
    member = member_for(request, ws, Cap.DELETE_WORKSPACE)
    result = services.delete_workspace(member.workspace, request.user, payload.confirm)
    return {
        "workspace_id": result.workspace_id,
        "name": result.name,
        "rows": result.rows,
        "channels": result.channels,
        "channels_revoked": result.channels_revoked,
    }
