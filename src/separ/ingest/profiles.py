"""Twitter API v1.1 user objects, and the labelled bot data sets built from them.

Three shapes, told apart by the file name:

* ``*.json``, ``*.jsons``, ``*.jsonl``: JSON lines or one JSON array of v1.1 user objects
  (``twarc users``, the FollowerAnalyzer sample), or of ``{"created_at", "user": {...}}``
  wrappers (the Botometer Bot Repository's ``NAME_tweets.json``: a profile and the time
  of the tweet that carried it). Accounts only.
* ``*.tsv``: a label file, one ``ID<TAB>LABEL`` per line (``bot``/``human``), as the Bot
  Repository ships next to each ``NAME_tweets.json``. Rows go to ``labels`` with
  ``dataset`` = the file's stem. Ingest the folder to get profiles and labels together.
* ``*.csv``: profile exports with the v1.1 field names (the cresci-2015 ``E13``, ``TFP``,
  ``INT``, ``FSF``, ``TWT`` files). Each row is an account; its label comes from the file
  name (``genuine``/``fake``/``human``/``bot`` as a word of the stem) or else from the
  cresci ``dataset`` column (E13, TFP: genuine; INT, FSF, TWT: fake), with ``dataset`` =
  the file's stem.

Accounts: ``handle`` = ``screen_name``, ``display_name`` = ``name``, ``bio`` =
``description``, ``avatar`` = ``profile_image_url_https`` (else ``profile_image_url``),
``default_avatar`` = ``default_profile_image``, ``following_count`` = ``friends_count``,
``posts_count`` = ``statuses_count``, ``url`` = the expanded profile link when
``entities`` has it; every other field is kept in ``extra`` under its own name.

``snapshot_at`` (when the counts were observed), per source:

* a wrapper's ``created_at``: the tweet that carried the profile. Botometer-Lite uses it as
  the probe time; the profile was fetched then or shortly after.
* a CSV's ``updated`` column (cresci: ``2/14/2015 10:54``, month first, no zone: read as
  UTC).
* a bare user object has no observation time, and ``snapshot_at`` stays empty. (The
  FollowerAnalyzer sample's ``timestamp`` is *not* a probe time: it equals ``created_at``
  shifted by Turkey's UTC offset, 2 or 3 hours; it is kept in ``extra``.)

In the CSV exports a false boolean is an empty cell (no cell of the cresci files holds
0 or false), so empty ``verified``, ``default_profile_image``, ``protected``... read as
false; the text ``NULL`` is no value.

Label files are small (an id and a word per line) and are read whole, to find accounts
with conflicting labels: every row of such an account is quarantined (keeping one of
``bot``/``human`` would be a guess). Repeated identical rows are duplicates as usual.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from separ.errors import InputError
from separ.ingest.base import Importer, register
from separ.ingest.load import Loader
from separ.ingest.read import (
    CsvReader,
    Progress,
    check_json,
    has_surrogates,
    json_records,
    open_source,
    split_suffix,
)
from separ.ingest.rows import Rows, dumps
from separ.ingest.twitter import V1_BOOLS, V1_INTS, v1_account

SUFFIXES = (".csv", ".tsv", ".json", ".jsons", ".jsonl", ".ndjson")
LABEL_WORDS = {
    "genuine": "genuine",
    "fake": "fake",
    "human": "human",
    "humans": "human",
    "bot": "bot",
    "bots": "bot",
}
CRESCI_DATASETS = {"E13": "genuine", "TFP": "genuine", "INT": "fake", "FSF": "fake", "TWT": "fake"}
"""The cresci-2015 sub-sets and what their accounts are (Cresci et al. 2015, "Fame for sale")."""
ID_HEADERS = ("id", "id_str", "user_id", "userid", "account_id")
UPDATED_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")


def split_name(file: Path) -> tuple[str, str]:
    """``gilani-2017.tsv.gz`` -> ``("gilani-2017", ".tsv")``; JSON variants -> ``".json"``."""
    stem, suffix = split_suffix(file, SUFFIXES)
    return stem, suffix if suffix in (".csv", ".tsv") else ".json"


def label_from_name(stem: str) -> str | None:
    """``E13_genuine_users`` -> ``genuine``; None when no word of the stem is a label."""
    found = {LABEL_WORDS[w] for w in re.split(r"[^a-z]+", stem.lower()) if w in LABEL_WORDS}
    return found.pop() if len(found) == 1 else None


def csv_value(name: str, value: str | None) -> Any:
    """A CSV cell as the JSON value a v1.1 user object would hold."""
    if value == "NULL":
        return None
    if name in V1_BOOLS:
        if value is None:
            return False
        lowered = value.strip().lower()
        if lowered in ("1", "true"):
            return True
        if lowered in ("0", "false"):
            return False
        return value
    if name in V1_INTS and value is not None and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return value


def snapshot_time(value: str | None) -> str | None:
    """``2/14/2015 10:54`` -> ``2015-02-14T10:54:00+00:00``; other text is passed on as is."""
    if value is None:
        return None
    for fmt in UPDATED_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC).isoformat()
        except ValueError:
            continue
    return value


@register
class ProfilesImporter(Importer):
    name = "profiles"
    description = (
        "Twitter v1.1 user objects: JSON, Bot Repository NAME_tweets.json + NAME.tsv labels, "
        "cresci profile CSVs"
    )
    patterns = tuple(f"**/*{s}{gz}" for s in SUFFIXES for gz in ("", ".gz"))

    def check(self, file: Path) -> None:
        _, kind = split_name(file)
        if kind == ".csv":
            reader = CsvReader(file)
            reader.close()
            if not any(h in reader.header for h in ID_HEADERS):
                raise InputError(
                    file, "missing the account id column (id or id_str) of a profile CSV", 1
                )
        elif kind == ".tsv":
            source = open_source(file)
            stream = source.text()  # held, so it is not closed behind the source's back
            try:
                for number, line in enumerate(stream, start=1):
                    if line.strip():
                        if "\t" not in line:
                            raise InputError(
                                file, "is not a label file: expected ID<TAB>LABEL lines", number
                            )
                        break
            finally:
                source.close()
        else:
            check_json(file, "Twitter v1.1 user objects")

    def read(self, file: Path, loader: Loader, progress: Progress | None) -> None:
        stem, kind = split_name(file)
        if kind == ".csv":
            self._csv(file, stem, loader, progress)
        elif kind == ".tsv":
            self._labels(file, stem, loader, progress)
        else:
            self._json(file, loader, progress)

    def _json(self, file: Path, loader: Loader, progress: Progress | None) -> None:
        accounts = Rows.of(loader, "accounts")
        for line, obj in json_records(file, loader.bad, progress):
            if not isinstance(obj, dict):
                loader.bad(line, f"not a JSON object but a {type(obj).__name__}", dumps(obj))
                continue
            wrapper: dict[str, Any] = {}
            snapshot = None
            user = obj
            if isinstance(obj.get("user"), dict):
                user = obj["user"]
                snapshot = obj.get("created_at")
                wrapper = {k: v for k, v in obj.items() if k not in ("user", "created_at")}
            uid = user.get("id_str") or user.get("id")
            if uid is None or uid == "":
                keys = ", ".join(sorted(user)[:6])
                loader.bad(
                    line, f"not a Twitter user object: no id_str or id (keys: {keys})", dumps(obj)
                )
                continue
            if not isinstance(uid, str | int) or isinstance(uid, bool):
                loader.bad(
                    line, f"user id is not a string or number: {dumps(uid)[:40]}", dumps(obj)
                )
                continue
            row, extra = v1_account(user, snapshot)
            if wrapper:
                extra["tweet"] = wrapper
            accounts.add(line, row, extra)
            loader.count_records(1)
        accounts.flush()

    def _csv(self, file: Path, stem: str, loader: Loader, progress: Progress | None) -> None:
        reader = CsvReader(file, progress)
        id_column = next(h for h in ID_HEADERS if h in reader.header)
        file_label = label_from_name(stem)
        accounts = Rows.of(loader, "accounts")
        labels = Rows.of(loader, "labels")
        for chunk in reader.chunks(loader.bad):
            for record in chunk.to_pylist():
                line = record.pop("_line")
                user = {k: csv_value(k, v) for k, v in record.items()}
                if id_column != "id_str":
                    user["id_str"] = user.pop(id_column)
                snapshot = snapshot_time(user.pop("updated", None))
                row, extra = v1_account(user, snapshot)
                accounts.add(line, row, extra)
                loader.count_records(1)
                if not row["account_id"]:
                    continue  # quarantined as an account without id; no label either
                named = CRESCI_DATASETS.get(str(user.get("dataset")))
                label = file_label or named
                if file_label and named and named != file_label:
                    loader.bad(
                        line,
                        f"the file name says {file_label} but the dataset column says "
                        f"{user.get('dataset')} ({named}); no label loaded",
                        dumps(record),
                        table="labels",
                    )
                elif label:
                    labels.add(
                        line,
                        {"account_id": row["account_id"], "label": label, "dataset": stem},
                        None,
                    )
        accounts.flush()
        labels.flush()

    def _labels(self, file: Path, dataset: str, loader: Loader, progress: Progress | None) -> None:
        source = open_source(file, progress)
        stream = source.text()  # held, so it is not closed behind the source's back
        entries: list[tuple[int, str, str, str]] = []
        try:
            first = True
            for number, raw in enumerate(stream, start=1):
                text = raw.rstrip("\r\n")
                if not text.strip():
                    continue
                if has_surrogates(text):
                    loader.bad(number, "not valid UTF-8 text", "")
                    continue
                fields = [f.strip() for f in text.split("\t")]
                if first and fields[0].lower() in ID_HEADERS:
                    first = False
                    continue  # a header line
                first = False
                if len(fields) != 2:
                    loader.bad(
                        number,
                        f"expected 2 tab-separated fields (id, label), found {len(fields)}",
                        text,
                    )
                    continue
                entries.append((number, fields[0], fields[1], text))
            source.tick()
        finally:
            source.close()
        seen: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for number, uid, label, _ in entries:
            seen[uid].append((label, number))
        rows = Rows.of(loader, "labels")
        for number, uid, label, text in entries:
            if len({lab for lab, _ in seen[uid]}) > 1:
                where = ", ".join(f"{lab} (line {n})" for lab, n in seen[uid])
                loader.bad(
                    number,
                    f"conflicting labels for one account in this file: {where}; none loaded",
                    text,
                    table="labels",
                )
                continue
            rows.add(number, {"account_id": uid, "label": label, "dataset": dataset}, None)
            loader.count_records(1)
        rows.flush()
