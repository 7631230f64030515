"""Account signals: the scorecard on the real labelled sets (floors below the figures in
docs/signals.md), the shipped weights, and principles 2 and 3 on real and simulated data."""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from separ.errors import SeparError
from separ.ingest import ingest
from separ.signals import (
    EXCLUDED,
    FEATURES,
    Quality,
    Scorecard,
    account_scores,
    balanced_weights,
    cohort_signal,
    cross_validated_scores,
    explain_score,
    fit_scorecard,
    labelled,
    load_scorecard,
)
from separ.workspace import Workspace
from tests.conftest import data_path, fresh, roles

SETS = {
    "cresci2015": ("cresci2015",),
    "gilani-2017": ("botrepo", "gilani-2017"),
    "cresci-rtbust-2019": ("botrepo", "cresci-rtbust-2019"),
}
NEUTRAL_COLUMNS = ("handle", "display_name", "location", "avatar", "default_avatar", "lang")


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three labelled sets, each ingested once through the profiles importer."""
    root = tmp_path_factory.mktemp("signals")
    paths = {}
    for name, parts in SETS.items():
        folder = data_path(*parts)
        paths[name] = root / f"{name}.duckdb"
        with Workspace(paths[name]) as ws:
            ingest(ws, folder, "profiles", build_activity=False)
    return paths


@pytest.fixture
def cresci(real: dict[str, Path], tmp_path: Path) -> Iterator[Workspace]:
    path = tmp_path / "cresci.duckdb"
    shutil.copy(real["cresci2015"], path)
    with Workspace(path) as ws:
        yield ws


def scores(ws: Workspace) -> dict[str, float]:
    table = account_scores(ws)
    ids = table.column("account_id").to_pylist()
    return dict(zip(ids, table.column("score").to_pylist(), strict=True))


# -- the shipped scorecard -----------------------------------------------------------------------


def test_shipped_weights_load_and_read_as_a_signed_scorecard() -> None:
    card = load_scorecard()
    assert [f.name for f in card.features] == [f.name for f in FEATURES]
    assert all(w * f.direction >= 0 for f, w in zip(card.features, card.weight, strict=True))
    assert (card.scale > 0).all()
    assert np.abs(card.weight).sum() > 0
    assert [t["dataset"] for t in card.trained_on] == list(SETS)
    assert sum(t["accounts"] for t in card.trained_on) == 2818 + 2465 + 693
    assert card.calibration["platt_a"] > 0
    again = Scorecard.from_dict(card.as_dict())
    assert again.as_dict() == card.as_dict()
    with pytest.raises(SeparError, match="not known to this Separ: avatar"):
        Scorecard.from_dict({**card.as_dict(), "features": [{"name": "avatar"}]})


def test_no_feature_reads_a_self_protection_trait() -> None:
    # principle 3 (and the bio, link, age and handle choices in EXCLUDED), read from the SQL
    banned = (*NEUTRAL_COLUMNS, "avatar_hash", "bio", "url", "created_at", "protected", "logins")
    for feature in FEATURES:
        names = {a or b for a, b in re.findall(r"a\.(\w+)|'(\w+)'", feature.sql)}
        assert not names & set(banned), (feature.name, names & set(banned))
    assert {"language", "private profile", "avatar, default avatar"} <= set(EXCLUDED)


# -- quality on the real labelled sets ------------------------------------------------------------


def test_in_domain_quality_on_cresci2015(real: dict[str, Path]) -> None:
    with Workspace(real["cresci2015"], read_only=True) as ws:
        x, y = labelled(ws)
    assert (len(y), int(y.sum())) == (2818, 1337)
    quality = Quality.of(y, cross_validated_scores(x, y, balanced_weights(y)))
    assert quality.auc >= 0.98  # measured 0.995
    assert quality.precision >= 0.95  # 0.974
    assert quality.recall >= 0.95  # 0.990
    assert quality.brier <= 0.03  # 0.014
    assert quality.ece <= 0.03  # 0.007: calibrated


def test_cross_dataset_quality_when_a_set_is_held_out(real: dict[str, Path]) -> None:
    data = {}
    for name, path in real.items():
        with Workspace(path, read_only=True) as ws:
            data[name] = labelled(ws)
    held = {}
    for test in data:
        train = [n for n in data if n != test]
        x = np.vstack([data[n][0] for n in train])
        y = np.concatenate([data[n][1] for n in train])
        groups = [n for n in train for _ in range(len(data[n][1]))]
        card = fit_scorecard(x, y, balanced_weights(y, groups))
        held[test] = Quality.of(data[test][1], card.score(data[test][0])).auc
    assert held["cresci2015"] >= 0.95  # measured 0.987
    assert held["cresci-rtbust-2019"] >= 0.65  # 0.715
    assert held["gilani-2017"] >= 0.45  # 0.497: the honest failure docs/signals.md reports


def test_scores_are_probabilities_explained_term_by_term(cresci: Workspace) -> None:
    card = load_scorecard()
    table = account_scores(cresci)
    assert table.num_rows == cresci.count("accounts") == 2818
    score = table.column("score").to_numpy()
    assert ((score >= 0) & (score <= 1)).all()
    assert table.column("known").to_pylist() == [len(FEATURES)] * 2818
    x, y = labelled(cresci)
    assert Quality.of(y, card.score(x)).auc >= 0.95  # shipped weights: measured 0.989
    ids = table.column("account_id").to_pylist()
    top = table.column("top").to_pylist()
    worst = int(np.argmax(score))
    explanation = explain_score(cresci, ids[worst])
    assert explanation.score == pytest.approx(score[worst])
    total = explanation.intercept + sum(c.contribution for c in explanation.contributions)
    assert total == pytest.approx(explanation.logit)
    moving = [c for c in explanation.contributions if c.contribution]
    assert [t["feature"] for t in top[worst]] == [c.feature for c in moving[:3]]
    summary = explanation.summary
    assert summary.startswith(f"Account {ids[worst]} scores {score[worst]:.2f}")
    assert "never evidence against one account on its own" in summary
    assert summary.count(". ") == 0
    assert account_scores(cresci).equals(table)  # deterministic


def test_unknown_features_contribute_nothing(ws: Workspace) -> None:
    card = load_scorecard()
    ws.con.execute(
        "INSERT INTO accounts (account_id, handle, followers_count, following_count) VALUES "
        "('sim-1', 'sim_bare', NULL, NULL), ('sim-2', 'sim_counts', 10, 400), "
        "('sim-3', 'sim_broken', -5, 400)"
    )
    rows = {r["account_id"]: r for r in account_scores(ws).to_pylist()}
    assert rows["sim-1"]["known"] == 0
    assert rows["sim-1"]["top"] == []
    assert rows["sim-1"]["score"] == pytest.approx(float(expit(card.intercept)))
    assert rows["sim-2"]["known"] == 2  # followers and the follow ratio; no likes, no lists
    assert rows["sim-3"]["known"] == 0  # a negative count is not a count
    explanation = explain_score(ws, "sim-1")
    assert all(math.isnan(c.value) and c.shown == "unknown" for c in explanation.contributions)
    assert "0 of 5 features known)" in explanation.summary
    with pytest.raises(SeparError, match="no account 'sim-404'"):
        explain_score(ws, "sim-404")


# -- principles 2 and 3 ------------------------------------------------------------------------------

SELF_PROTECTION = [
    "UPDATE accounts SET handle = 'user' || hash(account_id) % 100000, display_name = NULL, "
    "location = NULL, avatar = NULL, avatar_hash = NULL, default_avatar = true, lang = 'fa', "
    "bio = NULL, url = NULL, created_at = created_at + INTERVAL 400 DAY",
    "UPDATE accounts SET extra = json_merge_patch(coalesce(extra, '{}'), "
    """'{"protected": true, "time_zone": null, "geo_enabled": false, "utc_offset": null}')""",
    "INSERT INTO logins (account_id, ts, network, asn, ip_hash) SELECT account_id, "
    "TIMESTAMP '2015-02-01', 'tor', 'AS-TOR', 'shared-exit-node' FROM accounts",
]


def test_self_protection_changes_no_score_on_real_profiles(cresci: Workspace) -> None:
    before = scores(cresci)
    for change in SELF_PROTECTION:
        cresci.con.execute(change)
    assert cresci.sql("SELECT count(DISTINCT lang), bool_and(default_avatar) FROM accounts") == [
        (1, True)
    ]
    assert scores(cresci) == before
    # and the test can fail: what the scorecard does read moves scores
    cresci.con.execute("UPDATE accounts SET following_count = following_count * 10 + 100")
    after = scores(cresci)
    assert sum(after[a] != before[a] for a in before) > 2000


def test_self_protection_changes_no_score_on_the_simulated_scenario(scenario: Path) -> None:
    with fresh(scenario, "signals") as ws:
        before = scores(ws)
        for change in SELF_PROTECTION:
            ws.con.execute(change)
        assert scores(ws) == before


def test_the_operation_stands_out_as_a_cohort_and_the_at_risk_do_not(scenario: Path) -> None:
    truth = roles(scenario)
    with Workspace(scenario / "base.duckdb", read_only=True) as ws:
        operation = cohort_signal(ws, [a for a, r in truth.items() if r == "operation"])
        at_risk = cohort_signal(ws, [a for a, r in truth.items() if r == "at_risk"])
        assert cohort_signal(ws, ["sim-nobody"]) is None
    assert operation is not None
    assert at_risk is not None
    assert operation.scored == operation.accounts == 60
    assert operation.auc >= 0.7  # measured 0.83
    assert operation.p < 1e-6  # 1.6e-18
    assert at_risk.auc <= 0.5  # 0.29
    assert at_risk.p > 0.05  # 1.0
    assert re.search(r"^60 of the cohort's 60 accounts .* p = [\d.e-]+\)$", operation.summary)
