"""Detector banks as compact binary blobs (numpy's .npz, uncompressed, no pickle).

The live evaluator keeps one bank per group of rules and persists it after every minute it scores.
JSON states (`CountBank.states`) stay for debugging and small exports; for 10,000 series they cost
seconds per round trip, the binary form milliseconds. Series are identified by stable ids (rule
ids): a blob loaded for a different set of ids keeps the state of the ids it knows and starts the
others fresh, so adding or removing a rule never disturbs the others.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import numpy as np

from .params import DetectorParams


class _Bank(Protocol):
    n: int

    def _head(self) -> dict[str, Any]: ...

    def _arrays(self) -> dict[str, np.ndarray]: ...


B = TypeVar("B", bound=_Bank)


def dump_bank(bank: _Bank, ids: Sequence[int]) -> bytes:
    if len(ids) != bank.n:
        raise ValueError(f"{len(ids)} ids for a bank of {bank.n} series")
    buf = io.BytesIO()
    arrays = {f"a_{name}": arr for name, arr in bank._arrays().items()}
    arrays["ids"] = np.asarray(ids, dtype=np.int64)
    arrays["head"] = np.frombuffer(json.dumps(bank._head(), sort_keys=True).encode(), dtype=np.uint8)
    np.savez(buf, allow_pickle=False, **arrays)
    return buf.getvalue()


def load_bank(
    factory: Any, blob: bytes | None, ids: Sequence[int], step_s: float, params: DetectorParams
) -> tuple[Any, np.ndarray]:
    """(bank for `ids`, fresh mask): `factory(n, step_s, params)` builds an empty bank (CountBank or
    ShareBank); rows whose id is in the blob (same kind, version and step) get their stored state."""
    bank = factory(len(ids), step_s, params)
    fresh = np.ones(len(ids), dtype=bool)
    if not blob or not len(ids):
        return bank, fresh
    with np.load(io.BytesIO(bytes(blob)), allow_pickle=False) as data:
        head = json.loads(bytes(data["head"]).decode())
        if head != json.loads(json.dumps(bank._head(), sort_keys=True)):
            return bank, fresh
        stored_ids = data["ids"]
        if len(stored_ids) == len(ids) and np.array_equal(stored_ids, np.asarray(ids, dtype=np.int64)):
            for name, arr in bank._arrays().items():
                arr[...] = data[f"a_{name}"]  # the usual minute: the same rules as last time
            return bank, ~fresh
        stored = {int(i): k for k, i in enumerate(stored_ids)}
        src = np.array([stored.get(int(i), -1) for i in ids], dtype=np.int64)
        have = src >= 0
        if have.any():
            for name, arr in bank._arrays().items():
                arr[have] = data[f"a_{name}"][src[have]]
        fresh = ~have
    return bank, fresh


def copy_rows(dst: _Bank, rows: np.ndarray, src: _Bank) -> None:
    """Put the states of bank `src` (every row, in order) into rows `rows` of bank `dst`."""
    src_arrays = src._arrays()
    for name, arr in dst._arrays().items():
        arr[rows] = src_arrays[name]
