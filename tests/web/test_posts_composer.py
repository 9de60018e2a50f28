"""The composer page: variants per channel, live checks, media uploads, scheduling in the workspace's zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tamtam.accounts.models import ApprovalPolicy
from tamtam.publishing.checks import count_for
from tamtam.publishing.models import Media, Post, Queue, QueueSlot
from tamtam.publishing.states import TargetState as S


def new_url(ws) -> str:
    return reverse("publishing:post_new", kwargs={"ws": ws.id})


def checks_url(ws) -> str:
    return reverse("publishing:post_checks", kwargs={"ws": ws.id})


@pytest.fixture
def x_channel(make_channel):
    return make_channel(name="Brand on X", handle="@brand", options={"flavor": "x"})


@pytest.fixture
def linkedin_channel(make_channel):
    return make_channel(name="Brand on LinkedIn", handle="@brand-li", options={"flavor": "linkedin"})


def test_composing_for_two_channels_keeps_each_variant(
    workspace, members, login, x_channel, linkedin_channel
):
    client = login(members["community"])
    response = client.post(
        new_url(workspace),
        {
            "channels": [x_channel.id, linkedin_channel.id],
            "text": "Spring is here",
            f"v{linkedin_channel.id}-text": "Spring is here: the longer story for LinkedIn readers",
            f"v{x_channel.id}-first_comment": "More in the thread",
            "link": "https://shop.example/spring",
            "utm_campaign": "spring",
            "action": "draft",
        },
    )
    post = Post.objects.get(workspace=workspace)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "publishing:post_detail", kwargs={"ws": workspace.id, "post_id": post.id}
    )
    texts = dict(post.targets.values_list("channel_id", "text"))
    assert texts == {
        x_channel.id: "Spring is here",
        linkedin_channel.id: "Spring is here: the longer story for LinkedIn readers",
    }
    assert post.targets.get(channel=x_channel).first_comment == "More in the thread"
    assert set(post.targets.values_list("state", flat=True)) == {S.DRAFT}
    assert (post.utm_campaign, post.author) == ("spring", members["community"])


def test_the_edit_page_shows_the_saved_variants_and_warns_an_approved_post_goes_back_to_review(
    workspace, members, login, x_channel, linkedin_channel
):
    from datetime import timedelta

    from django.utils import timezone

    from tamtam.publishing import services
    from tamtam.publishing.services import PostInput, VariantInput

    post = services.create_post(
        workspace,
        members["manager"],
        PostInput(
            text="Base",
            channel_ids=[x_channel.id, linkedin_channel.id],
            variants=[VariantInput(channel_id=linkedin_channel.id, text="Own LinkedIn text")],
        ),
    )
    services.schedule(post, members["manager"], timezone.now() + timedelta(days=1))
    services.approve(post, members["manager"], "manager")
    page = login(members["community"]).get(
        reverse("publishing:post_edit", kwargs={"ws": workspace.id, "post_id": post.id})
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Own LinkedIn text" in html
    assert 'data-testid="back-to-review"' in html

    response = login(members["community"]).post(
        reverse("publishing:post_edit", kwargs={"ws": workspace.id, "post_id": post.id}),
        {"channels": [x_channel.id, linkedin_channel.id], "text": "Base, edited", "action": "draft"},
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.version == 2
    assert set(post.targets.values_list("state", flat=True)) == {S.IN_REVIEW}


def test_live_checks_show_the_over_limit_count_and_a_spelling_suggestion(
    workspace, members, login, x_channel
):
    workspace.language = "en"
    workspace.save()
    text = "Helo everyone, " + "great news today " * 20
    used, maximum = count_for("x", text)
    assert used > maximum == 280
    response = login(members["community"]).post(
        checks_url(workspace), {"channels": [x_channel.id], "text": text}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{used} / 280" in html
    assert f"Text is {used} characters; X allows 280" in html
    assert 'data-word="Helo"' in html
    assert 'data-with="Hello"' in html
    assert 'data-replace-in="id_text"' in html  # the suggestion edits the post's own text field


def test_live_checks_preview_shows_the_link_with_its_utm_tags(workspace, members, login, linkedin_channel):
    response = login(members["community"]).post(
        checks_url(workspace),
        {
            "channels": [linkedin_channel.id],
            "text": "Read #spring news from @partner",
            "link": "https://shop.example/p?id=3",
            "utm_campaign": "spring",
            "utm_medium": "social",
        },
    )
    html = response.content.decode()
    assert (
        "https://shop.example/p?id=3&amp;utm_source=sandbox&amp;utm_medium=social&amp;utm_campaign=spring"
        in html
    )
    assert '<span class="pv-tag">#spring</span>' in html
    assert '<span class="pv-mention">@partner</span>' in html
    assert 'class="pv pv-linkedin"' in html


def test_live_checks_escape_what_the_user_types(workspace, members, login, x_channel):
    response = login(members["community"]).post(
        checks_url(workspace), {"channels": [x_channel.id], "text": "<script>alert(1)</script>"}
    )
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode()


def test_live_checks_warn_about_a_picked_file_too_large_for_the_network(workspace, members, login, x_channel):
    response = login(members["community"]).post(
        checks_url(workspace),
        {
            "channels": [x_channel.id],
            "text": "Look",
            "pending_files": '[{"name": "poster.png", "size": 9000000, "type": "image/png"}]',
        },
    )
    assert "poster.png is 9 MB; X allows 5.24 MB." in response.content.decode()


def test_an_oversized_file_is_refused_by_name_and_nothing_else_is_lost(
    workspace, members, login, x_channel, settings
):
    settings.MEDIA_MAX_BYTES = 1000
    response = login(members["community"]).post(
        new_url(workspace),
        {
            "channels": [x_channel.id],
            "text": "Keep this text",
            "link": "https://shop.example/sale",
            "utm_campaign": "summer-sale",
            f"v{x_channel.id}-first_comment": "And this comment",
            "upload": [
                SimpleUploadedFile("holiday-video.mp4", b"\x00" * 5000, "video/mp4"),
                SimpleUploadedFile("small.png", b"\x89PNG" + b"\x00" * 100, "image/png"),
            ],
            "upload_alt": ["", "A small logo"],
            "action": "draft",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "holiday-video.mp4 is 5 KB; tamtam accepts files up to 1 KB." in html
    assert not Post.objects.exists()
    assert "Keep this text</textarea>" in html
    assert 'value="https://shop.example/sale"' in html
    assert 'value="summer-sale"' in html
    assert "And this comment</textarea>" in html
    # The acceptable file was kept and stays attached to the form.
    small = Media.objects.get(workspace=workspace)
    assert (small.content_type, small.alt_text) == ("image/png", "A small logo")
    assert f'name="media_ids" value="{small.id}"' in html


def test_scheduling_reads_the_time_in_the_workspace_zone(workspace, members, login, x_channel):
    assert workspace.time_zone == "Europe/Paris"
    response = login(members["community"]).post(
        new_url(workspace),
        {
            "channels": [x_channel.id],
            "text": "Summer sale",
            "scheduled_local": "2030-07-01T09:30",
            "action": "schedule",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.scheduled_at == datetime(2030, 7, 1, 7, 30, tzinfo=UTC)  # CEST is UTC+2
    assert list(post.targets.values_list("state", "scheduled_at")) == [(S.IN_REVIEW, post.scheduled_at)]


def test_a_time_in_the_past_is_refused_next_to_the_field_and_nothing_is_saved(
    workspace, members, login, x_channel
):
    response = login(members["community"]).post(
        new_url(workspace),
        {
            "channels": [x_channel.id],
            "text": "Too late",
            "scheduled_local": "2001-01-01T09:00",
            "action": "schedule",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-scheduled_local"' in html
    assert "this time is in the past" in html
    assert not Post.objects.exists()
    assert "Too late</textarea>" in html


def test_schedule_without_a_time_says_so(workspace, members, login, x_channel):
    response = login(members["community"]).post(
        new_url(workspace), {"channels": [x_channel.id], "text": "When?", "action": "schedule"}
    )
    assert response.status_code == 400
    assert "Choose the date and time of publication." in response.content.decode()


def test_a_post_the_network_would_refuse_cannot_be_scheduled_but_can_be_saved(
    workspace, members, login, x_channel
):
    client = login(members["community"])
    data = {"channels": [x_channel.id], "text": "word " * 100, "scheduled_local": "2030-07-01T09:30"}
    refused = client.post(new_url(workspace), {**data, "action": "schedule"})
    assert refused.status_code == 400
    assert "Brand on X: Text is 499 characters; X allows 280" in refused.content.decode()
    assert not Post.objects.exists()
    assert client.post(new_url(workspace), {**data, "action": "draft"}).status_code == 302


def test_a_workspace_without_approval_publishes_now(make_workspace, make_user, make_channel, login):
    ws = make_workspace(approval_policy=ApprovalPolicy.NONE)
    author = make_user("solo", ws, "community")
    channel = make_channel(ws=ws)
    response = login(author).post(new_url(ws), {"channels": [channel.id], "text": "Now", "action": "publish"})
    assert response.status_code == 302
    assert list(Post.objects.get().targets.values_list("state", flat=True)) == [S.SCHEDULED]


def test_add_to_queue_takes_the_next_free_slot(workspace, members, login, x_channel):
    from datetime import time

    queue = Queue.objects.create(workspace=workspace, name="Weekdays")
    queue.channels.add(x_channel)
    for weekday in range(7):
        QueueSlot.objects.create(queue=queue, weekday=weekday, time=time(9, 0))
    response = login(members["community"]).post(
        new_url(workspace),
        {"channels": [x_channel.id], "text": "Queued", "queue": queue.id, "action": "queue"},
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.queue == queue
    assert post.scheduled_at is not None


def test_an_analyst_cannot_open_the_composer_and_a_stranger_gets_404(workspace, members, login, make_user):
    assert login(members["analyst"]).get(new_url(workspace)).status_code == 403
    assert login(make_user("stranger")).get(new_url(workspace)).status_code == 404


def test_the_composer_labels_sandbox_channels(workspace, members, login, x_channel):
    html = login(members["community"]).get(new_url(workspace)).content.decode()
    assert 'class="sandbox-label"' in html
    assert f'data-testid="channel-{x_channel.id}"' in html
    assert re.search(r'data-testid="schedule-zone"[^>]*>Europe/Paris<', html)


def test_a_variant_can_leave_out_a_file_and_the_edit_page_remembers_it(
    workspace, members, login, x_channel, linkedin_channel
):
    client = login(members["community"])
    client.post(
        new_url(workspace),
        {
            "channels": [x_channel.id, linkedin_channel.id],
            "text": "With a photo",
            "upload": [SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff" + b"\x00" * 100, "image/jpeg")],
            "action": "draft",
        },
    )
    post = Post.objects.get()
    photo = Media.objects.get()
    assert all(list(t.media.all()) == [photo] for t in post.targets.all())
    edit = reverse("publishing:post_edit", kwargs={"ws": workspace.id, "post_id": post.id})
    html = client.get(edit).content.decode()
    assert f'name="v{x_channel.id}-media" value="{photo.id}" checked' in html
    assert "photo.jpg" in html
    client.post(
        edit,
        {
            "channels": [x_channel.id, linkedin_channel.id],
            "text": "With a photo",
            "media_ids": [photo.id],
            f"v{x_channel.id}-media_shown": "1",
            f"v{linkedin_channel.id}-media_shown": "1",
            f"v{linkedin_channel.id}-media": [photo.id],
            "action": "draft",
        },
    )
    assert list(post.targets.get(channel=x_channel).media.all()) == []
    assert list(post.targets.get(channel=linkedin_channel).media.all()) == [photo]
    html = client.get(edit).content.decode()
    assert f'name="v{x_channel.id}-media" value="{photo.id}">' in html
    assert f'name="v{linkedin_channel.id}-media" value="{photo.id}" checked' in html
