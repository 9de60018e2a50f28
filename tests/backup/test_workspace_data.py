"""Export of a workspace's data (GDPR) and deletion of a workspace, through the services and the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from tamtam.accounts.models import AuditEvent, Workspace
from tamtam.dataops import export, services
from tamtam.dataops.graph import rows_of, workspace_paths
from tamtam.lib.crypto import token_hash
from tamtam.lib.errors import InvalidInput
from tamtam.listening.models import ListeningAuthor, Mention


def exported(workspace: Workspace) -> tuple[str, dict]:
    text = "".join(export.stream(workspace))
    return text, json.loads(text)


def counts(workspace_id: int) -> dict[str, int]:
    return {m._meta.label_lower: rows_of(m, workspace_id).count() for m in workspace_paths()}


def test_the_export_holds_every_part_of_the_workspace_and_nothing_of_another(two_workspaces):
    mine, _theirs = two_workspaces
    text, data = exported(mine.workspace)
    assert data["format"] == "tamtam.workspace-export"
    assert data["workspace"]["name"] == mine.workspace.name
    tables = data["tables"]
    for label in (
        "publishing.post", "publishing.posttarget", "publishing.media", "publishing.targetmedia",
        "publishing.postcomment", "inbox.conversation", "inbox.message", "listening.query",
        "listening.mentionmatch", "listening.mentionsource", "crisis.alertrule", "crisis.incident",
        "reports.report", "reports.reportshare", "strategy.persona", "strategy.persona_channels",
        "channels.channel", "accounts.membership", "accounts.auditevent", "analytics.trackingsettings",
    ):  # fmt: skip
        assert tables[label], f"{label} is exported"
    # Each table holds exactly the workspace's rows.
    for label, n in counts(mine.workspace.pk).items():
        if label != "accounts.apitoken":
            assert len(tables[label]) == n, label
    assert {m["id"] for m in data["mentions"]} == {mine.own_mention, mine.shared_mention}
    assert [m["path"] for m in data["media"]] == [mine.media_name]
    assert {m["username"] for m in data["members"]} >= {"owner", "client"}
    assert "Bonjour a" in text
    assert "Bonjour b" not in text
    assert "Livré quand ? b" not in text


def test_the_export_holds_no_secret(two_workspaces, planted_secrets):
    from tamtam.accounts.models import ApiToken
    from tamtam.channels.models import Channel

    mine, _theirs = two_workspaces
    text, data = exported(mine.workspace)
    assert "accounts.apitoken" not in data["tables"]
    forbidden = [
        *planted_secrets,
        mine.api_token,
        token_hash(mine.api_token),
        mine.share_hash[:64],  # a report share link's hash
        mine.share_hash[64:],  # the conversion pixel's token
        mine.workspace.ical_token,
        *Channel.objects.filter(workspace=mine.workspace).values_list("credentials_encrypted", flat=True),
        *ApiToken.objects.values_list("key_hash", flat=True),
    ]
    for secret in forbidden:
        assert secret
        assert secret not in text
    channel = data["tables"]["channels.channel"][0]
    assert "credentials_encrypted" not in channel
    assert "token_expires_at" in channel  # a date, not a secret


def test_the_export_is_written_piece_by_piece(two_workspaces):
    mine, _theirs = two_workspaces
    pieces = export.stream(mine.workspace)
    assert next(pieces).startswith('{"format"')
    assert sum(1 for _ in pieces) > len(workspace_paths())


def test_the_cli_exports_json_and_a_zip_with_the_files(two_workspaces, tmp_path):
    import zipfile

    mine, _theirs = two_workspaces
    out = io.StringIO()
    call_command("workspace", "export", str(mine.workspace.pk), stdout=out)
    assert json.loads(out.getvalue())["workspace"]["id"] == mine.workspace.pk
    target = tmp_path / "export.zip"
    ref = f"{mine.workspace.agency.slug}/{mine.workspace.slug}"
    call_command("workspace", "export", ref, "--with-files", "-o", str(target), stderr=io.StringIO())
    with zipfile.ZipFile(target) as archive:
        assert json.loads(archive.read("export.json"))["media"][0]["path"] == mine.media_name
        assert archive.read(f"media/{mine.media_name}") == b"png"
    with pytest.raises(CommandError, match="no such workspace"):
        call_command("workspace", "export", "nope")


def test_a_wrong_typed_name_deletes_nothing(two_workspaces):
    mine, _theirs = two_workspaces
    before = counts(mine.workspace.pk)
    with pytest.raises(InvalidInput, match="exactly"):
        services.delete_workspace(mine.workspace, None, mine.workspace.name.upper())
    assert counts(mine.workspace.pk) == before
    assert Workspace.objects.filter(pk=mine.workspace.pk).exists()


def test_deleting_a_workspace_leaves_nothing_of_it_and_touches_no_other(
    two_workspaces, members, django_capture_on_commit_callbacks
):
    mine, theirs = two_workspaces
    ws_id, agency = mine.workspace.pk, mine.workspace.agency
    theirs_before = counts(theirs.workspace.pk)
    _text, theirs_export = exported(theirs.workspace)
    own_author = Mention.objects.get(pk=mine.own_mention).author_id
    media_root = Path(settings.MEDIA_ROOT)
    assert (media_root / mine.media_name).is_file()

    with django_capture_on_commit_callbacks(execute=True):
        result = services.delete_workspace(mine.workspace, members["owner"], mine.workspace.name)

    assert not Workspace.objects.filter(pk=ws_id).exists()
    for label, n in counts(ws_id).items():
        assert n == 0, f"{label} still has rows of the deleted workspace"
    assert not Mention.objects.filter(pk=mine.own_mention).exists()
    assert not ListeningAuthor.objects.filter(pk=own_author).exists()
    assert Mention.objects.filter(pk=mine.shared_mention).exists(), "the other workspace still matches it"
    assert not (media_root / mine.media_name).exists()
    assert result.media_files == 1
    # The other workspace: same rows, same export (but for the time it was taken), same file.
    assert counts(theirs.workspace.pk) == theirs_before
    _text, after = exported(theirs.workspace)
    assert {k: v for k, v in after.items() if k != "exported_at"} == {
        k: v for k, v in theirs_export.items() if k != "exported_at"
    }
    assert (media_root / theirs.media_name).is_file()
    # One agency-level entry remains: who, which workspace, what went.
    event = AuditEvent.objects.get(action="workspace.deleted")
    assert event.workspace_id is None
    assert event.actor == members["owner"]
    assert event.data["agency_id"] == agency.pk
    assert event.data["workspace_id"] == ws_id
    assert event.data["rows"]["publishing.post"] == 1
    assert [e.pk for e in services.deletions(agency.pk)] == [event.pk]


def test_deleting_revokes_channel_tokens_at_the_network(workspace, make_channel, monkeypatch):
    monkeypatch.setenv("TAMTAM_REDDIT_CLIENT_ID", "cid")
    monkeypatch.setenv("TAMTAM_REDDIT_CLIENT_SECRET", "csecret")
    channel = make_channel(network="reddit", options={"username": "brand", "subreddit": "r/brand"})
    channel.set_credentials({"access_token": "at-1", "refresh_token": "rt-1"})
    channel.save()
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post("https://www.reddit.com/api/v1/revoke_token").mock(return_value=httpx.Response(200))
        result = services.delete_workspace(workspace, None, workspace.name)
    assert route.call_count == 1
    assert parse_qs(route.calls[0].request.content.decode())["token"] == ["rt-1"]
    assert (result.channels, result.channels_revoked) == (1, 1)


def test_the_cli_deletes_only_with_the_typed_name(two_workspaces):
    mine, theirs = two_workspaces
    with pytest.raises(CommandError, match="exactly"):
        call_command("workspace", "delete", str(mine.workspace.pk), "--confirm", "oops")
    assert Workspace.objects.filter(pk=mine.workspace.pk).exists()
    call_command(
        "workspace", "delete", str(mine.workspace.pk), "--confirm", mine.workspace.name, stderr=io.StringIO()
    )
    assert not Workspace.objects.filter(pk=mine.workspace.pk).exists()
    assert Workspace.objects.filter(pk=theirs.workspace.pk).exists()
    out = io.StringIO()
    call_command("workspace", "deletions", stdout=out)
    assert mine.workspace.name in out.getvalue()
    assert "cli" in out.getvalue()


def test_a_workspace_with_many_mentions_is_deleted_whole(workspace):
    from django.utils import timezone

    from tamtam.listening.models import MentionMatch, Query

    query = Query.objects.create(workspace=workspace, name="Flux", expression="lumen")
    now = timezone.now()
    mentions = Mention.objects.bulk_create(
        Mention(remote_key=f"k{i}", content_hash=f"h{i}", network="sandbox", text="lumen", published_at=now)
        for i in range(1300)
    )
    MentionMatch.objects.bulk_create(
        MentionMatch(mention=m, query=query, workspace=workspace, published_at=now) for m in mentions
    )
    result = services.delete_workspace(workspace, None, workspace.name)
    assert result.rows["listening.mention"] == 1300
    assert not Mention.objects.exists()
