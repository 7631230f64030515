"""The audit log: append-only, each entry holding the hash of the one before it.

Every decision Separ records (a gate answer, a restriction, a notice, an appeal, a review,
a restore) appends one entry: who (``actor``), what (``action``), about whom or what
(``subject``), when (``logged_at``) and a JSON ``detail`` with the inputs, the detectors
(name, version, parameters) and the outcome. An entry's hash is

    sha256(canonical JSON of [seq, logged_at, actor, action, subject, detail, prev_hash])

where the canonical JSON has sorted keys, no spaces, UTF-8 text (``ensure_ascii=False``)
and ``logged_at`` as ISO 8601 UTC with microseconds; ``prev_hash`` is the previous entry's
hash (64 zeros for the first). The newest ``seq:hash`` is also kept in the workspace's
``meta`` table (key ``audit_head``) so that a removed last entry is found too.
:func:`verify` recomputes the chain and names the first entry that was edited, removed or
reordered. Whoever can rewrite the whole file can rewrite the whole chain: publish
:func:`head` somewhere else now and then, and pass it to ``verify(ws, anchor=...)``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from separ.errors import ParameterError
from separ.workspace import Workspace

GENESIS = "0" * 64
HEAD_KEY = "audit_head"
COLUMNS = "seq, logged_at, actor, action, subject, detail, prev_hash, hash"
BATCH = 10_000
ARROW = pa.schema(
    [("seq", pa.int64()), ("logged_at", pa.timestamp("us"))]
    + [
        (name, pa.string())
        for name in ("actor", "action", "subject", "detail", "prev_hash", "hash")
    ]
)
SMALL = 20  # batches up to this size are inserted row by row, larger ones through Arrow
SEARCH = 100_000  # how far verify looks for the seq a moved entry was logged under


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the log: who did what to whom, when, with which inputs and outcome."""

    seq: int
    logged_at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def line(self) -> str:
        """One line for a terminal: seq, time, actor, action, subject and outcome."""
        outcome = self.detail.get("outcome", "")
        if isinstance(outcome, dict):
            outcome = outcome.get("outcome", "")
        outcome = str(outcome)[:60]
        return (
            f"{self.seq:>6}  {self.logged_at:%Y-%m-%d %H:%M:%S}  {self.actor}  {self.action}  "
            f"{self.subject}{f'  -> {outcome}' if outcome else ''}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "logged_at": stamp(self.logged_at),
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int
    kind: str  # edited | removed | reordered | relinked | truncated | anchor
    message: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The chain's state: ``ok``, how many entries, the head, and every problem found."""

    entries: int
    head: str
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def message(self) -> str:
        """One line: the first problem, or that the chain is intact."""
        if self.problems:
            more = len(self.problems) - 1
            extra = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
            return self.problems[0].message + extra
        return f"audit log intact: {self.entries} entries, head {self.head[:16]}"


# --- the hash --------------------------------------------------------------------------------


def naive_utc(ts: datetime) -> datetime:
    """A naive UTC datetime (how the workspace stores times)."""
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def stamp(ts: datetime) -> str:
    """``logged_at`` as it enters the hash: ISO 8601, microseconds, ``Z``."""
    return naive_utc(ts).isoformat(timespec="microseconds") + "Z"


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def canonical(value: object) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text, no NaN."""
    return json.dumps(
        value,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=_default,
    )


def entry_hash(
    seq: int,
    logged_at: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any],
    prev_hash: str,
) -> str:
    body = canonical([seq, stamp(logged_at), actor, action, subject, detail, prev_hash])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pending:
    """An entry to append: who, what, about whom, the detail, and when (None: now)."""

    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    at: datetime | None = None


def append(
    ws: Workspace,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any],
    *,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry after the current last one and return it.

    ``detail`` holds what a reader needs to check the decision: conventionally
    ``account_id`` (when it concerns an account, so that :func:`show` finds it), ``inputs``,
    ``detectors`` (``[{name, version, params}]``, see :func:`detectors_of`) and
    ``outcome``. Values that are not JSON (times, sets) are stored as their canonical
    JSON form. The entry and the head in ``meta`` are written in one transaction: the
    caller's when one is open (wrap the rows the entry accounts for and the entry in one
    ``ws.transaction()``), else its own.
    """
    pending = [Pending(actor, action, subject, detail, at)]
    return append_many(ws, pending)[0]


def _insert(ws: Workspace, entries: Sequence[AuditEntry]) -> None:
    rows = [
        [e.seq, e.logged_at, e.actor, e.action, e.subject, canonical(e.detail), e.prev_hash, e.hash]
        for e in entries
    ]
    if len(rows) <= SMALL:
        for row in rows:
            ws.con.execute(
                f"INSERT INTO audit_log ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row
            )
        return
    batch = pa.Table.from_pylist(
        [dict(zip(ARROW.names, r, strict=True)) for r in rows], schema=ARROW
    )
    ws.con.register("_audit_batch", batch)
    try:
        ws.con.execute(f"INSERT INTO audit_log ({COLUMNS}) SELECT {COLUMNS} FROM _audit_batch")
    finally:
        ws.con.unregister("_audit_batch")


def append_many(ws: Workspace, pending: Sequence[Pending]) -> list[AuditEntry]:
    """Append entries in the order given (one read of the head, one insert): what a batch
    of decisions uses instead of :func:`append` in a loop."""
    if not pending:
        return []
    for p in pending:
        if not p.actor or not p.action:
            raise ParameterError("an audit entry needs an actor and an action")
    stamp_now = now()
    with ws.transaction():
        last = ws.sql("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        seq, prev = (int(last[0][0]), str(last[0][1])) if last else (0, GENESIS)
        entries: list[AuditEntry] = []
        for p in pending:
            clean: dict[str, Any] = json.loads(canonical(p.detail))
            at = naive_utc(p.at) if p.at is not None else stamp_now
            seq += 1
            digest = entry_hash(seq, at, p.actor, p.action, p.subject, clean, prev)
            entries.append(AuditEntry(seq, at, p.actor, p.action, p.subject, clean, prev, digest))
            prev = digest
        _insert(ws, entries)
        ws.con.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [HEAD_KEY, f"{seq}:{prev}"],
        )
    return entries


def detectors_of(ws: Workspace, finding_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The detectors behind some findings, for an entry's ``detectors``: one
    ``{finding_id, name, version, params}`` per finding found in the workspace."""
    if not finding_ids:
        return []
    rows = ws.sql(
        "SELECT finding_id, detector, version, params FROM findings "
        "WHERE list_contains(?, finding_id) ORDER BY finding_id",
        [list(finding_ids)],
    )
    return [
        {"finding_id": f, "name": d, "version": v, "params": json.loads(p) if p else {}}
        for f, d, v, p in rows
    ]


# --- reading ---------------------------------------------------------------------------------


def _entry(row: tuple[Any, ...]) -> AuditEntry:
    seq, logged_at, actor, action, subject, detail, prev, digest = row
    return AuditEntry(
        int(seq), logged_at, actor, action, subject, json.loads(detail or "{}"), prev, digest
    )


def _rows(ws: Workspace) -> Iterator[tuple[Any, ...]]:
    cur = ws.con.cursor()
    cur.execute(f"SELECT {COLUMNS} FROM audit_log ORDER BY seq")
    while batch := cur.fetchmany(BATCH):
        yield from batch


def head(ws: Workspace) -> str:
    """The newest entry as ``seq:hash`` (``0:`` + 64 zeros for an empty log): publish it
    elsewhere to anchor the chain."""
    last = ws.sql("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    return f"{last[0][0]}:{last[0][1]}" if last else f"0:{GENESIS}"


def show(
    ws: Workspace,
    account: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    action: str | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Entries in order, filtered by account (the subject, or ``detail.account_id``),
    actor, action and time (``since`` inclusive, ``until`` exclusive)."""
    where: list[str] = []
    params: list[Any] = []
    if account is not None:
        where.append("(subject = ? OR json_extract_string(detail, '$.account_id') = ?)")
        params += [account, account]
    if actor is not None:
        where.append("actor = ?")
        params.append(actor)
    if action is not None:
        where.append("action = ?")
        params.append(action)
    if since is not None:
        where.append("logged_at >= ?")
        params.append(naive_utc(since))
    if until is not None:
        where.append("logged_at < ?")
        params.append(naive_utc(until))
    if limit is not None and limit < 1:
        raise ParameterError(f"limit must be at least 1, not {limit}")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    tail = f"LIMIT {int(limit)}" if limit is not None else ""
    rows = ws.sql(f"SELECT {COLUMNS} FROM audit_log {clause} ORDER BY seq {tail}", params)
    return [_entry(r) for r in rows]


# --- verifying -------------------------------------------------------------------------------


def _logged_as(row: tuple[Any, ...], data: dict[str, Any], top: int) -> int | None:
    """The seq under which a row's contents hash right, searched outward from its own
    (only run for a row whose hash does not match, so the search is rare)."""
    _, logged_at, actor, action, subject, _, prev_hash, digest = row
    seq = int(row[0])
    for distance in range(1, min(top, SEARCH)):
        for origin in (seq - distance, seq + distance):
            if 1 <= origin <= top and digest == entry_hash(
                origin, logged_at, actor, action, subject, data, prev_hash
            ):
                return origin
    return None


def _check(row: tuple[Any, ...], expected: int, prev: str | None, top: int) -> Problem | None:
    """The first thing wrong with one row, given the previous row's hash (None when the
    previous row was itself flagged, so that a broken link is not reported twice)."""
    seq, logged_at, actor, action, subject, detail, prev_hash, digest = row
    data = json.loads(detail or "{}")
    if entry_hash(seq, logged_at, actor, action, subject, data, prev_hash) != digest:
        origin = _logged_as(row, data, top)
        if origin is not None:
            msg = f"audit entry {seq} is out of order: it was logged as entry {origin}"
            return Problem(seq, "reordered", msg)
        msg = f"audit entry {seq} was edited: its hash does not match its contents"
        return Problem(seq, "edited", msg)
    if seq != expected:
        gone = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
        msg = f"audit entry {gone} was removed: entry {seq} follows entry {expected - 1}"
        return Problem(seq, "removed", msg)
    if prev is not None and prev_hash != prev:
        msg = (
            f"audit entry {seq} does not follow entry {seq - 1}: "
            f"entry {seq - 1} was edited and rehashed, or replaced"
        )
        return Problem(seq, "relinked", msg)
    return None


def _parse_anchor(anchor: str) -> tuple[int, str]:
    seq, _, digest = anchor.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ParameterError(
            f"anchor must be SEQ:SHA256 as printed by 'separ audit verify', not {anchor!r}"
        )
    return int(seq), digest


def verify(ws: Workspace, *, anchor: str | None = None) -> VerifyResult:
    """Recompute the chain: every hash, every link, no gaps, the head in ``meta``, and
    optionally an ``anchor`` (a ``seq:hash`` from :func:`head` kept elsewhere) that must
    still be in the chain."""
    problems: list[Problem] = []
    hashes: dict[str, int] = {}  # stored hash -> seq
    prev: str | None = GENESIS
    expected, count, last = 1, 0, f"0:{GENESIS}"
    top = int(ws.sql("SELECT coalesce(max(seq), 0) FROM audit_log")[0][0])
    for row in _rows(ws):
        count += 1
        problem = _check(row, expected, prev, top)
        if problem:
            problems.append(problem)
        seq, digest = int(row[0]), str(row[7])
        hashes[digest] = seq
        prev = None if problem else digest
        expected, last = seq + 1, f"{seq}:{digest}"
    stored = ws.meta(HEAD_KEY)
    if stored is not None and stored != last:
        head_seq = int(stored.split(":", 1)[0])
        what = "removed" if head_seq > int(last.split(":", 1)[0]) else "replaced"
        problems.append(
            Problem(
                head_seq, "truncated", f"audit entry {head_seq}, the last one logged, was {what}"
            )
        )
    if anchor is not None:
        a_seq, a_hash = _parse_anchor(anchor)
        if hashes.get(a_hash) != a_seq:
            msg = f"audit entry {a_seq} no longer has the anchored hash {a_hash[:16]}"
            problems.append(Problem(a_seq, "anchor", msg))
    return VerifyResult(count, last.split(":", 1)[1], tuple(problems))
