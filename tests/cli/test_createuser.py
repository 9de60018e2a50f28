"""`tamtam createuser`: generated or piped passwords, membership with a role, clear refusals."""

from __future__ import annotations

import io
import re

import pytest

from tamtam import cli
from tamtam.accounts.models import AuditEvent, Membership, User


def test_it_creates_a_user_and_prints_a_generated_password_once(run, db):
    code, out, _err = run("createuser", "alice", "--email", "alice@example.com")
    assert code == 0
    password = re.search(r"Password: (\S+)", out).group(1)
    user = User.objects.get(username="alice")
    assert user.check_password(password)
    assert user.email == "alice@example.com"
    assert not user.is_superuser
    assert password not in user.password


def test_it_reads_the_password_from_stdin_and_prints_none(run, db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Correct-Horse-42\n"))
    code, out, _err = run("createuser", "bob", "--password-stdin")
    assert code == 0
    assert "Password" not in out
    assert User.objects.get(username="bob").check_password("Correct-Horse-42")


def test_a_weak_piped_password_is_refused_and_nothing_is_created(run, db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    code, _out, err = run("createuser", "carol", "--password-stdin")
    assert code == 1
    assert "short" in err
    assert not User.objects.filter(username="carol").exists()


def test_it_adds_the_user_to_a_workspace_with_a_role_and_audits_it(run, workspace):
    code, out, _err = run("createuser", "dan", "--workspace", workspace.slug, "--role", "manager")
    assert code == 0
    assert workspace.name in out
    assert Membership.objects.get(user__username="dan").role == "manager"
    assert AuditEvent.objects.filter(action="member.added", workspace=workspace).exists()


def test_a_superuser_is_staff_too(run, db):
    assert run("createuser", "root", "--superuser")[0] == 0
    user = User.objects.get(username="root")
    assert user.is_superuser
    assert user.is_staff


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--workspace", "nowhere", "--role", "manager"], "No workspace"),
        (["--workspace", "brand-1"], "go together"),
        (["--email", "not-an-email"], "e-mail"),
    ],
)
def test_bad_options_are_refused_with_a_message_and_no_user(run, workspace, args, words):
    code, _out, err = run("createuser", "erin", *args)
    assert code == 1
    assert words in err
    assert not User.objects.filter(username="erin").exists()


def test_an_existing_username_is_refused(run, make_user):
    make_user("frank")
    code, _out, err = run("createuser", "Frank")
    assert code == 1
    assert "already exists" in err


def test_an_unknown_role_is_refused_by_the_parser(run, workspace):
    code, _out, err = run("createuser", "gina", "--workspace", workspace.slug, "--role", "king")
    assert code != 0
    assert "king" in err


def test_the_tamtam_entry_point_runs_it_and_exits_non_zero_on_error(db, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["createuser", "hugo", "--workspace", "nowhere", "--role", "client"])
    assert exit_info.value.code == 1
    assert "No workspace" in capsys.readouterr().err
