from __future__ import annotations

from pathlib import Path
from typing import Any

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


def test_values_mapped_in_worker_processes_give_the_same_layers(
    scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh(scenario, "workers") as ws:
        serial = ws.sql(ROWS)
        monkeypatch.setattr(separ.activity, "PARALLEL_MIN", 10)
        monkeypatch.setattr(separ.activity, "BATCH", 50)
        monkeypatch.setattr(separ.activity, "MAX_WORKERS", 2)
        monkeypatch.setattr("os.cpu_count", lambda: 2)
        submitted = []
        submit = separ.activity._submit

        def counted(*args: Any) -> Any:
            submitted.append(submit(*args))
            return submitted[-1]

        monkeypatch.setattr(separ.activity, "_submit", counted)
        build_activity(ws)  # texts, hashtags and URLs each in several batches of 50
        counts = ws.sql(
            "SELECT count(DISTINCT text), count(DISTINCT h), count(DISTINCT u) FROM posts, "
            "unnest(CASE WHEN len(hashtags) > 0 THEN hashtags ELSE [NULL] END) AS t(h), "
            "unnest(CASE WHEN len(urls) > 0 THEN urls ELSE [NULL] END) AS v(u)"
        )
        assert min(counts[0]) > 100
        assert ws.sql(ROWS) == serial
        assert len(submitted) > 80
        assert all(f is not None and f.exception() is None for f in submitted)
