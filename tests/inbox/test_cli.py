"""`tamtam inbox list|assign|reply|close` against the sandbox audience."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from inbox_helpers import run_replies

from tamtam.inbox.models import Conversation, Reply, SavedReply

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def _thread(collected) -> Conversation:
    return (
        Conversation.objects.filter(
            channel=collected["channel"], kind="thread", messages__deleted_at__isnull=True
        )
        .distinct()
        .first()
    )


def test_list_as_a_table_and_as_json(collected, workspace):
    code, out, _err = run("inbox", "list", "--workspace", workspace.slug, "--limit", "5")
    assert code == 0
    assert "conversation(s)" in out
    code, out, _err = run("inbox", "list", "--workspace", workspace.slug, "--json", "--view", "unassigned")
    data = json.loads(out)
    assert data
    assert {"id", "status", "priority", "flags", "last_text"} <= set(data[0])
    code, _out, err = run("inbox", "list", "--workspace", workspace.slug, "--view", "mine")
    assert code != 0
    assert "--as" in err


def test_assign_reply_and_close(collected, workspace, members):
    conv = _thread(collected)
    code, out, err = run("inbox", "assign", str(conv.pk), "--to", "community", "--as", "manager")
    assert code == 0, err
    conv.refresh_from_db()
    assert conv.assignee == members["community"]
    code, out, _err = run(
        "inbox", "list", "--workspace", workspace.slug, "--view", "mine", "--as", "community", "--json"
    )
    assert [c["id"] for c in json.loads(out)] == [conv.pk]
    saved = SavedReply.objects.create(workspace=workspace, title="Merci", body="Merci {first_name} !")
    code, out, err = run("inbox", "reply", str(conv.pk), "--saved", str(saved.pk), "--as", "community")
    assert code == 0, err
    assert "queued" in out
    assert run_replies() == ["sent"]
    assert Reply.objects.get(conversation=conv).text.startswith("Merci ")
    code, out, err = run("inbox", "close", str(conv.pk), "--as", "community")
    assert code == 0, err
    conv.refresh_from_db()
    assert conv.status == "closed"


def test_bad_input_and_roles_are_refused_with_the_reason(collected, members):
    conv = _thread(collected)
    code, _out, err = run("inbox", "reply", str(conv.pk), "--text", "Bonjour", "--as", "analyst")
    assert code != 0
    assert "analyst" in err
    code, _out, err = run("inbox", "reply", str(conv.pk), "--text", "   ", "--as", "community")
    assert code != 0
    assert "required" in err
    code, _out, err = run("inbox", "close", "999999")
    assert code != 0
    assert "999999" in err
    code, _out, err = run("inbox", "assign", str(conv.pk), "--to", "client")
    assert code != 0
    assert "cannot work the inbox" in err
