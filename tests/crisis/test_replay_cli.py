"""`tamtam crisis replay` through the command line: output rows, live-detector scores, bad input."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tamtam.crisis.detectors import CountDetector, params_for
from tamtam.crisis.series import parse_timestamp

T0 = 1_700_006_400  # Wednesday 00:00 UTC


def write_series(path: Path, values: list[float], *, step: int = 300, header: bool = True) -> None:
    lines = ["timestamp,value"] if header else []
    for i, v in enumerate(values):
        lines.append(f"{T0 + i * step},{v:g}")
    path.write_text("\n".join(lines) + "\n")


def replay(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("crisis", "replay", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def quiet_then_spike(days: int = 4, seed: int = 3) -> list[float]:
    rng = np.random.default_rng(seed)
    values = rng.poisson(4.0, days * 288).astype(float)
    values[(days - 1) * 288 + 40] = 90.0
    return values.tolist()


def test_replay_writes_one_scored_row_per_input_row_with_the_live_detectors_scores(tmp_path):
    values = quiet_then_spike()
    path = tmp_path / "history.csv"
    write_series(path, values)
    code, out, _err = replay(str(path))
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["timestamp", "value", "score", "alert"]
    assert len(rows) == len(values) + 1
    live = CountDetector(300, params_for("normal"))
    for i, (row, v) in enumerate(zip(rows[1:], values, strict=True)):
        s = live.update(T0 + i * 300, v)
        assert row == [str(T0 + i * 300), f"{v:g}", f"{s.score:.6f}", str(int(s.alert))]
    assert [i for i, r in enumerate(rows[1:]) if r[3] == "1"] == [3 * 288 + 40]


def test_replay_without_header_any_step_and_unsorted_rows_is_the_same_as_sorted(tmp_path):
    values = quiet_then_spike()
    sorted_path, shuffled = tmp_path / "a.csv", tmp_path / "b.csv"
    write_series(sorted_path, values, step=60, header=False)
    lines = sorted_path.read_text().splitlines()
    rng = np.random.default_rng(1)
    shuffled.write_text("\n".join(rng.permutation(lines)) + "\n")
    a, b = replay(str(sorted_path)), replay(str(shuffled))
    assert a[0] == b[0] == 0
    assert a[1] == b[1]


def test_replay_reports_a_non_numeric_value_with_its_line_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "timestamp,value\n2026-01-01T00:00:00,3\n2026-01-01T00:05:00,4\n2026-01-01T00:10:00,lots\n"
    )
    code, out, err = replay(str(path))
    assert code == 1
    assert out == ""
    assert "line 4" in err
    assert "lots" in err


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("t,v\n2026-01-01T00:00:00,1\n2026-01-01T00:00:00,2\n", 3, "repeats line 2"),
        ("t,v\n2026-01-01T00:00:00,1\n2026-01-01T00:05:00,2\n2026-01-01T00:12:00,2\n", 4, "step grid"),
        ("t,v\n2026-01-01T00:00:00,1\nyesterday,2\n", 3, "neither ISO 8601"),
        ("t,v\n2026-01-01T00:00:00,1\n2026-01-01T00:05:00\n", 3, "two columns"),
        ("t,v\n2026-01-01T00:00:00,1\n2026-01-01T00:05:00,-2\n", 3, "negative"),
    ],
)
def test_replay_names_the_line_and_reason_of_each_kind_of_bad_row(tmp_path, body, line, reason):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    code, out, err = replay(str(path))
    assert (code, out) == (1, "")
    assert f"line {line}:" in err
    assert reason in err


def test_replay_takes_a_sensitivity_and_an_expert_profile(tmp_path):
    path = tmp_path / "h.csv"
    write_series(path, quiet_then_spike())
    profile = tmp_path / "expert.json"
    profile.write_text('{"min_excess": 500}')
    assert replay(str(path), "--sensitivity", "high")[0] == 0
    code, out, _ = replay(str(path), "--profile", str(profile))
    assert code == 0
    assert ",1\n" not in out  # 90 mentions is not 500 above the expectation
    code, _, err = replay(str(path), "--profile", '{"min_exces": 5}')
    assert code == 1
    assert "unknown detector parameter" in err


def test_the_tamtam_command_replays_from_a_shell_and_fails_with_a_status(tmp_path):
    path = tmp_path / "h.csv"
    write_series(path, quiet_then_spike(days=2))
    tamtam = Path(sys.executable).parent / "tamtam"
    cmd = [str(tamtam), "crisis", "replay", str(path)]
    ok = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0] == "timestamp,value,score,alert"
    assert len(ok.stdout.splitlines()) == 2 * 288 + 1
    path.write_text("timestamp,value\n1,2\n2,x\n")
    bad = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert "line 3" in bad.stderr
    assert bad.stdout == ""


def test_timestamps_are_iso_utc_or_epoch_seconds():
    assert parse_timestamp("2015-02-26 21:42:53") == parse_timestamp("2015-02-26T21:42:53+00:00")
    assert parse_timestamp("1700006400") == 1_700_006_400.0


def test_gaps_are_holes_no_row_is_written_for_them_and_a_spike_after_one_is_caught(tmp_path):
    values = quiet_then_spike()
    missing = set(range(2 * 288, 2 * 288 + 36))  # three hours without data on day 3
    path = tmp_path / "gappy.csv"
    lines = ["timestamp,value"] + [f"{T0 + i * 300},{v:g}" for i, v in enumerate(values) if i not in missing]
    path.write_text("\n".join(lines) + "\n")
    code, out, _err = replay(str(path))
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))[1:]
    assert [int(r[0]) for r in rows] == [T0 + i * 300 for i in range(len(values)) if i not in missing]
    assert [int(r[0]) for r in rows if r[3] == "1"] == [T0 + (3 * 288 + 40) * 300]
