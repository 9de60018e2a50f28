"""The scale-out fault run at full size (issue 8): 10,000 sandbox posts with faults turned up, three
Celery workers, one beat, the web app under gunicorn, a throwaway PostgreSQL cluster and redis-server
on 127.0.0.1. During the run: a worker paused past its lease, Redis restarted, PostgreSQL restarted,
workers SIGKILLed at random (tamtam/work/scaleout_drill.py; tests/work/test_scaleout_faults.py is
the short variant in `make test`).

    python bench/scaleout_faults.py                 # 10,000 posts over 4 minutes
    python bench/scaleout_faults.py --posts 3000 --spread 90 --seed 42

Prints each fault (whether /readyz named it while it lasted, how long the system took to be ready
again with the publish queue caught up, against the lease as the named baseline), the invariants
(duplicates, losses: both must be 0), publish lateness, and the log files holding a secret (none).
Exit status 1 when an invariant does not hold.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tamtam.work import scaleout_drill  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=240.0, help="seconds over which the posts are due")
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--lease", type=int, default=10)
    parser.add_argument(
        "--pause", type=float, default=None, help="seconds a worker stays SIGSTOPped (default: lease + 2)"
    )
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    one, five, fifteen = os.getloadavg()
    print(f"load average at start: {one:.1f} {five:.1f} {fifteen:.1f} (2 cores, shared with other work)")
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tamtam-scaleout-faults-") as tmp:
        result = scaleout_drill.run(
            Path(tmp),
            targets=args.posts,
            spread=args.spread,
            kills=args.kills,
            lease=args.lease,
            pause=args.pause,
            seed=args.seed,
            settle_timeout=1800.0,
            say=lambda line: print(time.strftime("%H:%M:%S"), line, flush=True),
        )
    check = result["check"]
    one, five, fifteen = os.getloadavg()
    print(
        f"\nload average at end: {one:.1f} {five:.1f} {fifteen:.1f};"
        f" wall time {time.monotonic() - began:.0f} s"
    )
    print(f"seed {result['seed']}: {result['seeded']} posts due over {args.spread:.0f} s")
    print("\nfault                                   | /readyz named it | failing seen         | catch-up")
    for fault in result["faults"]:
        if not fault["watched"]:
            print(f"{fault['name']:<39} | (back to back)   |                      |")
            continue
        catch = fault["catch_up_s"]
        shown = (
            f"{catch:5.1f} s = {catch / args.lease:4.2f}x the lease" if catch is not None else "NOT caught up"
        )
        print(
            f"{fault['name']:<39} | {'yes' if fault['reported'] else 'NO':<16} |"
            f" {','.join(fault['seen_failing']):<20} | {shown}"
        )
    print(f"\nstates: {json.dumps(check['states'])}")
    print(f"attempt outcomes: {json.dumps(check['attempt_outcomes'])}")
    print(
        f"duplicates {check['duplicates']}, losses {check['losses']}, first-comment duplicates "
        f"{check['first_comments']['duplicates']}, settled in time: {result['settled_in_time']}"
    )
    p50, p99 = check["lateness_p50"], check["lateness_p99"]
    print(f"publish lateness p50 {p50:.1f} s, p99 {p99:.1f} s (faults included)")
    print(f"final /readyz: {result['final_readyz']} {result['final_failing']}")
    print(f"log files holding a secret: {result['secrets_in_logs'] or 'none'} (of {len(result['logs'])})")
    if check["loss_examples"]:
        print("losses:", json.dumps(check["loss_examples"][:5]), json.dumps(check.get("loss_attempts")))
    ok = (
        check["duplicates"] == 0
        and check["losses"] == 0
        and result["settled_in_time"]
        and not result["secrets_in_logs"]
        and all(f["reported"] and f["catch_up_s"] is not None for f in result["faults"] if f["watched"])
    )
    print("\nverdict:", "holds" if ok else "DOES NOT HOLD")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
