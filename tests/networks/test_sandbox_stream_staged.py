"""The sandbox mention stream's staged bad-buzz episodes (the `stream_episodes` option)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tamtam.networks.sandbox.stream import Episode, MentionStream, config_from_options

START = datetime(2026, 12, 3, 14, 7, tzinfo=UTC)


def stream(*entries: object) -> MentionStream:
    options = {"stream_per_minute": 2, "stream_episodes": list(entries)}
    return MentionStream(config_from_options(options, seed=3))


def test_a_staged_episode_is_listed_and_multiplies_the_volume_with_buzz_texts() -> None:
    episode = Episode(START, 20, 30.0, "battery")
    s = stream(episode.option())
    assert s.episodes(START - timedelta(hours=1), START + timedelta(hours=1))[0] == episode
    first = MentionStream.minute_of(START)
    during = sum(s.volume(m) for m in range(first, first + 20))
    before = sum(s.volume(m) for m in range(first - 60, first - 40))
    assert during > 10 * max(before, 1)
    texts = [item.raw["episode"] for m in range(first, first + 3) for item in s.items(m)]
    assert texts
    assert set(texts) == {"battery"}
    after = MentionStream.minute_of(episode.end)
    assert s._episode_at(after) is not episode


def test_entries_that_do_not_parse_are_left_out() -> None:
    s = stream({"start": "yesterday"}, {"minutes": 5}, "x", {"start": START.isoformat(), "topic": "nope"})
    assert s.config.staged == ()
    naive = stream({"start": "2026-12-03T14:07:00", "minutes": 5})
    assert naive.config.staged[0].start == START
