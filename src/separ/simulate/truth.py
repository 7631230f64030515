"""Ground truth next to the tables, in ``out/truth/`` (never read by detectors).

- ``accounts.csv``: account_id, role, operator, cohort, target, note
- ``posts.csv``, ``follows.csv``: every operation post and follow with its campaign
- ``reports.csv``: every report, its campaign (empty if organic) and whether it is a brigade
- ``actions.csv``: every action, whether it was wrongful, and why
- ``scenario.json``: seed, scale, parameters, counts, operators, targets, hard negatives
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from separ.simulate.common import ints_to_str, take
from separ.simulate.materialise import account_order
from separ.simulate.moderation import WHY
from separ.simulate.population import AFFILIATED, AT_RISK, KINDS, OPERATION, ROLES
from separ.simulate.tables import action_ids
from separ.simulate.world import World

VERSION = 1


def iso(sec: int) -> str:
    return datetime.fromtimestamp(int(sec), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _csv(path: Path, columns: dict[str, Any]) -> None:
    pcsv.write_csv(pa.table(columns), str(path))


def _codes(names: list[str], codes: np.ndarray) -> pa.Array:
    return take(pa.array(names or [""], type=pa.string()), codes)


def write_truth(world: World, folder: Path, counts: dict[str, int], fmt: str) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    pop, ids = world.pop, world.profiles.ids
    campaigns = world.campaigns.names
    order = account_order(world)
    cohort = np.array([f"community-{c:03d}" for c in range(pop.n_communities)] + [""], dtype=object)
    cohort = cohort[np.where(pop.community >= 0, pop.community, -1)]
    kinds = pop.kind >= 0
    cohort[kinds] = np.array(KINDS, dtype=object)[pop.kind[kinds]]
    ops = pop.role == OPERATION
    cohort[ops] = np.array(pop.batch_names or [""], dtype=object)[pop.batch[ops]]
    note = np.where(pop.newcomer, "newcomer", "").astype(object)
    new = np.flatnonzero(pop.rereg_of >= 0)
    old = pop.rereg_of[new]
    note[new] = ["reregistered_from:" + str(v) for v in ids.take(pa.array(old)).to_pylist()]
    note[old] = ["reregistered_as:" + str(v) for v in ids.take(pa.array(new)).to_pylist()]
    target = np.zeros(pop.n, dtype=bool)
    target[pop.targets] = True
    operator = np.where(ops, np.char.add("op", (pop.operator.astype(np.int64) + 1).astype(str)), "")
    _csv(
        folder / "accounts.csv",
        {
            "account_id": ids.take(pa.array(order)),
            "role": pa.array(np.array(ROLES)[pop.role[order]]),
            "operator": pa.array(operator[order]),
            "cohort": pa.array(cohort[order].tolist(), type=pa.string()),
            "target": pa.array(target[order]),
            "note": pa.array(note[order].tolist(), type=pa.string()),
        },
    )
    plan = world.posts.plan
    post_ids = ints_to_str(world.posts.ids)
    op_posts = np.flatnonzero(plan.campaign >= 0)
    _csv(
        folder / "posts.csv",
        {
            "post_id": post_ids.take(pa.array(op_posts)),
            "campaign": _codes(campaigns, plan.campaign[op_posts]),
        },
    )
    f = world.follows
    op_follows = np.flatnonzero(f.campaign >= 0)
    _csv(
        folder / "follows.csv",
        {
            "follower_id": ids.take(pa.array(f.follower[op_follows])),
            "followee_id": ids.take(pa.array(f.followee[op_follows])),
            "campaign": _codes(campaigns, f.campaign[op_follows]),
        },
    )
    r = world.reports
    _csv(
        folder / "reports.csv",
        {
            "report_id": ints_to_str(r.ids),
            "campaign": _codes(campaigns, r.campaign),
            "brigade": pa.array(r.brigade),
        },
    )
    a = world.moderation.actions
    _csv(
        folder / "actions.csv",
        {
            "action_id": ints_to_str(action_ids(world)),
            "wrongful": pa.array(a["wrongful"]),
            "why": _codes(list(WHY), a["why"].astype(np.int64)),
        },
    )
    scenario = describe(world, counts, fmt)
    text = json.dumps(scenario, ensure_ascii=False, indent=2, sort_keys=True)
    (folder / "scenario.json").write_text(text + "\n", encoding="utf-8")
    return scenario


def _per_campaign(world: World) -> dict[str, dict[str, int]]:
    names = world.campaigns.names
    out: dict[str, dict[str, int]] = {n: {"posts": 0, "follows": 0, "reports": 0} for n in names}
    for table, codes in (
        ("posts", world.posts.plan.campaign),
        ("follows", world.follows.campaign),
        ("reports", world.reports.campaign),
    ):
        counts = np.bincount(codes[codes >= 0], minlength=len(names))
        for i, name in enumerate(names):
            out[name][table] = int(counts[i])
    return {k: v for k, v in out.items() if any(v.values())}


def describe(world: World, counts: dict[str, int], fmt: str) -> dict[str, Any]:
    """Everything scenario.json says: deterministic, no wall-clock time."""
    pop, ids = world.pop, world.profiles.ids
    roles = {name: int((pop.role == i).sum()) for i, name in enumerate(ROLES)}
    operators = []
    for k in range(world.params.operators):
        batches = []
        for b in (2 * k, 2 * k + 1):
            members = np.flatnonzero(pop.batch == b)
            created = pop.created[members]
            batches.append(
                {
                    "batch": pop.batch_names[b],
                    "accounts": len(members),
                    "created_from": iso(int(created.min())) if len(members) else None,
                    "created_to": iso(int(created.max())) if len(members) else None,
                }
            )
        operators.append(
            {
                "operator": f"op{k + 1}",
                "accounts": int((pop.operator == k).sum()),
                "posting_accounts": int(((pop.operator == k) & pop.poster).sum()),
                "avatar_pool": world.profiles.pool_sizes[k],
                "batches": batches,
                "active_from": iso(pop.active_from[k]),
            }
        )
    waves = [
        {
            **{k: v for k, v in w.items() if k not in ("author_index", "post_index")},
            "author": str(ids[w["author_index"]].as_py()),
            "post_id": str(world.posts.ids[w["post_index"]]),
            "start": iso(w["start"]),
            "p90_end": iso(w["p90_end"]),
        }
        for w in world.hard_negatives["solidarity_waves"]
    ]
    bursts = [
        {**b, "start": iso(b["start"]), "end": iso(b["end"])}
        for b in world.hard_negatives["protest_bursts"]
    ]
    targets = [_target_times(t) for t in world.targets]
    wrongful = world.moderation.actions["wrongful"]
    return {
        "generator": "separ.simulate",
        "version": VERSION,
        "scenario": world.scenario,
        "seed": world.seed,
        "scale": world.scale,
        "format": fmt,
        "window": {"start": iso(pop.start), "end": iso(pop.end)},
        "parameters": asdict(world.params),
        "counts": {
            "tables": counts,
            "events": sum(v for k, v in counts.items() if k not in ("accounts", "registers")),
            "roles": roles,
            "at_risk_kinds": {
                KINDS[k]: int(((pop.role == AT_RISK) & (pop.kind == k)).sum()) for k in range(3)
            },
            "affiliated_kinds": {
                KINDS[k]: int(((pop.role == AFFILIATED) & (pop.kind == k)).sum()) for k in (3, 4)
            },
            "wrongful_actions": int(wrongful.sum()),
            "avatar_files": len(world.profiles.files),
        },
        "campaigns": _per_campaign(world),
        "operators": operators,
        "targets": targets,
        "hard_negatives": {"solidarity_waves": waves, "protest_bursts": bursts},
    }


def _target_times(t: dict[str, Any]) -> dict[str, Any]:
    out = dict(t)
    swarm = dict(t["follow_swarm"])
    swarm["start"], swarm["end"] = iso(swarm["start"]), iso(swarm["end"])
    out["follow_swarm"] = swarm
    out["brigades"] = [{**b, "start": iso(b["start"])} for b in t["brigades"]]
    return out
