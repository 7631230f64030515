"""Reports, actions, appeals, logins and registers as native record batches."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from separ.simulate import vocab
from separ.simulate.common import hex64, ints_to_str, snowflake_ids, stream, take, ts_array
from separ.simulate.logins import ASN_LIST, NETWORKS
from separ.simulate.materialise import chunks, record_batch
from separ.simulate.moderation import (
    ACTIONS,
    POLICIES,
    REF_APPEAL,
    REF_FINDING,
    REF_GOVERNMENT,
    REF_REPORTS,
    TRIGGERS,
)
from separ.simulate.population import KINDS
from separ.simulate.world import World

# Public reasons per ``moderation.WHY`` code: never says whether the action was wrongful.
PUBLIC_REASON = (
    "many reports within 24 hours",
    "many reports within 24 hours",
    "many reports within 24 hours",
    "violates the {policy} policy",
    "violates the {policy} policy",
    "violates the {policy} policy",
    "violates the {policy} policy",
    "platform manipulation",
    "state-affiliated media",
    "appeal granted",
)


def actor_names(codes: np.ndarray) -> list[str]:
    return [
        "automated" if c == 0 else (f"appeals-{c - 99:02d}" if c >= 100 else f"mod-{c:02d}")
        for c in codes.tolist()
    ]


def report_batches(world: World) -> Iterator[pa.RecordBatch]:
    r, ids = world.reports, world.profiles.ids
    post_ids = ints_to_str(world.posts.ids)
    report_ids = ints_to_str(r.ids)
    for _, lo, hi in chunks(len(r)):
        yield record_batch(
            "reports",
            {
                "report_id": report_ids[lo:hi],
                "reporter_id": ids.take(pa.array(r.reporter[lo:hi])),
                "target_account_id": ids.take(pa.array(r.target[lo:hi])),
                "target_post_id": take(post_ids, r.post[lo:hi]),
                "reason": pa.array(list(vocab.REPORT_REASONS)).take(pa.array(r.reason[lo:hi])),
                "created_at": ts_array(r.ts[lo:hi]),
            },
        )


def action_ids(world: World) -> np.ndarray:
    return snowflake_ids(world.moderation.actions["ts"], stream(world.seed, "action-ids"))


def appeal_ids(world: World) -> np.ndarray:
    return snowflake_ids(world.moderation.appeals["filed"], stream(world.seed, "appeal-ids"))


def _trigger_refs(world: World) -> list[list[str] | None]:
    a, refs = world.moderation.actions, world.moderation.refs
    rng = stream(world.seed, "trigger-refs")
    report_ids = world.reports.ids
    appeals = appeal_ids(world)
    out: list[list[str] | None] = []
    for kind, ref, rows in zip(a["ref_kind"].tolist(), a["ref"].tolist(), refs, strict=True):
        if kind == REF_REPORTS:
            out.append([str(x) for x in report_ids[rows].tolist()])
        elif kind == REF_APPEAL:
            out.append([str(appeals[int(rows[0])])])
        elif kind == REF_FINDING:
            out.append([f"platform-detector-{int(rng.integers(0, 2**40)):010x}"])
        elif kind == REF_GOVERNMENT:
            out.append([f"gov-request-{1000 + ref}"])
        else:
            out.append(None)
    return out


def action_batches(world: World) -> Iterator[pa.RecordBatch]:
    a = world.moderation.actions
    ids, post_ids = world.profiles.ids, ints_to_str(world.posts.ids)
    policy = [POLICIES[p] for p in a["policy"].tolist()]
    reason = [
        PUBLIC_REASON[w].format(policy=p.replace("_", " "))
        for w, p in zip(a["why"].tolist(), policy, strict=True)
    ]
    yield record_batch(
        "actions",
        {
            "action_id": ints_to_str(action_ids(world)),
            "account_id": ids.take(pa.array(a["account"])),
            "post_id": take(post_ids, a["post"]),
            "action": pa.array(list(ACTIONS)).take(pa.array(a["action"])),
            "policy": pa.array(policy, type=pa.string()),
            "created_at": ts_array(a["ts"]),
            "actor": pa.array(actor_names(a["actor"]), type=pa.string()),
            "automated": pa.array(a["actor"] == 0),
            "trigger": take(pa.array(list(TRIGGERS)), a["trigger"]),
            "trigger_ref": pa.array(_trigger_refs(world), type=pa.list_(pa.string())),
            "reason": pa.array(reason, type=pa.string()),
            "ends_at": ts_array(a["ends"], valid=a["ends"] >= 0),
        },
    )


def appeal_batches(world: World) -> Iterator[pa.RecordBatch]:
    ap = world.moderation.appeals
    statements = pa.array(list(vocab.APPEAL_FA + vocab.APPEAL_EN))
    reviewer = pa.array(actor_names(ap["reviewer"]), type=pa.string())
    reviewer = take(reviewer, np.where(ap["reviewer"] >= 0, np.arange(len(reviewer)), -1))
    yield record_batch(
        "appeals",
        {
            "appeal_id": ints_to_str(appeal_ids(world)),
            "action_id": ints_to_str(action_ids(world)).take(pa.array(ap["action"])),
            "filed_at": ts_array(ap["filed"]),
            "statement": take(statements, ap["statement"]),
            "status": pa.array(["open", "upheld", "overturned"]).take(pa.array(ap["status"])),
            "decided_at": ts_array(ap["decided"], valid=ap["decided"] >= 0),
            "reviewer": reviewer,
        },
    )


def login_batches(world: World) -> Iterator[pa.RecordBatch]:
    lg, ids = world.logins, world.profiles.ids
    order = np.argsort(lg.ts)
    for _, lo, hi in chunks(len(order)):
        j = order[lo:hi]
        ip = lg.ip[j]
        yield record_batch(
            "logins",
            {
                "account_id": ids.take(pa.array(lg.account[j])),
                "ts": ts_array(lg.ts[j]),
                "network": pa.array(list(NETWORKS)).take(pa.array(lg.network[j])),
                "asn": take(pa.array(ASN_LIST), lg.asn[j]),
                "ip_hash": take(hex64(ip), np.where(ip > 0, np.arange(len(j)), -1)),
                "device_hash": hex64(lg.device[j]),
            },
        )


def register_batches(world: World) -> Iterator[pa.RecordBatch]:
    rg = world.registers
    n = len(rg.account)
    protected = rg.register == 0
    yield record_batch(
        "registers",
        {
            "account_id": world.profiles.ids.take(pa.array(rg.account)),
            "register": pa.array(np.where(protected, "protected", "affiliated")),
            "kind": pa.array(list(KINDS)).take(pa.array(rg.kind)),
            "country": pa.array(["IR"] * n, type=pa.string()),
            "source": pa.array(np.where(protected, "helpline", "public-list")),
            "since": ts_array(rg.since),
        },
    )
