from __future__ import annotations

from pathlib import Path

import pytest

import separ.activity
from separ.activity import build_activity
from separ.errors import ParameterError
from tests.conftest import fresh

ROWS = "SELECT event_id, actor, verb, object, ts FROM activity ORDER BY ALL"


def test_one_layer_is_rebuilt_alone(scenario: Path) -> None:
    with fresh(scenario, "layers") as ws:
        full = ws.sql(ROWS)
        counts = dict(ws.sql("SELECT verb, count(*) FROM activity GROUP BY 1"))
        assert min(counts["repost"], counts["post"], counts["link"]) > 0
        build_activity(ws, ["link"])
        assert ws.sql(ROWS) == full  # rebuilding one layer leaves the others as they were
        ws.con.execute("DELETE FROM activity")
        build_activity(ws, ["repost", "quote"])
        assert dict(ws.sql("SELECT verb, count(*) FROM activity GROUP BY 1")) == {
            "repost": counts["repost"],
            "quote": counts["quote"],
        }
        with pytest.raises(ParameterError, match=r"unknown activity layer.*retweet"):
            build_activity(ws, ["retweet"])


def test_texts_folded_in_worker_processes_give_the_same_layer(
    scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh(scenario, "workers") as ws:
        serial = ws.sql("SELECT event_id, object FROM activity WHERE verb = 'post' ORDER BY 1")
        monkeypatch.setattr(separ.activity, "PARALLEL_MIN", 10)
        monkeypatch.setattr(separ.activity, "BATCH", 500)
        monkeypatch.setattr(separ.activity, "MAX_WORKERS", 2)
        monkeypatch.setattr("os.cpu_count", lambda: 2)
        build_activity(ws, ["post"])
        assert len(serial) > 500
        assert (
            ws.sql("SELECT event_id, object FROM activity WHERE verb = 'post' ORDER BY 1") == serial
        )
