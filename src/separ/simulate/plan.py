"""The post plan: every post as numbers (author, time, kind, reference, text recipe).

Generators append blocks; text, ids and lists are only materialised when the posts table
is written, chunk by chunk (see ``materialise.py``). References (``ref``) are indices into
the plan until then.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from separ.simulate.common import I8, I32, I64, U64, Rng, snowflake_ids, time_order

POST, REPOST, REPLY, QUOTE = 0, 1, 2, 3
# Text recipes: organic slot text, state news, protest, solidarity, a fixed text, none.
SRC_ORGANIC, SRC_NEWS, SRC_PROTEST, SRC_SOLIDARITY, SRC_FIXED, SRC_NONE = range(6)
URL_NONE, URL_ORGANIC, URL_NEWS = -1, -2, -3  # >= 0: index into the fixed URL list
MAX_TAGS, MAX_MENTIONS = 4, 2


@dataclass(slots=True)
class PostPlan:
    author: I32
    ts: I64
    kind: I8
    ref: I64  # plan index of the referenced post, or -1
    ref_ext: I64  # id of a referenced post outside the data, or 0
    ref_acc: I32
    src: I8
    lang: I8  # 0 fa, 1 en, -1 none
    var: I32  # index into the fixed texts for SRC_FIXED
    tags: I32  # (n, MAX_TAGS) codes into the hashtag list, -1 = none
    ment: I32  # (n, MAX_MENTIONS) account indices, -1 = none
    url: I32
    media: U64  # pHash value, 0 = none
    campaign: I32  # index into the campaign names, -1 = not the operation

    def __len__(self) -> int:
        return len(self.author)

    def take(self, idx: I64) -> PostPlan:
        return PostPlan(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})


def block(
    author: np.ndarray,
    ts: np.ndarray,
    *,
    kind: int | np.ndarray = POST,
    src: int | np.ndarray = SRC_ORGANIC,
    lang: int | np.ndarray = 0,
    ref: np.ndarray | None = None,
    ref_acc: np.ndarray | None = None,
    var: np.ndarray | None = None,
    campaign: int | np.ndarray = -1,
) -> PostPlan:
    """A block of posts with defaults for every column not given."""
    n = len(author)

    def full(value: int | np.ndarray | None, dtype: type, default: int) -> np.ndarray:
        if value is None:
            return np.full(n, default, dtype=dtype)
        return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

    return PostPlan(
        author=np.asarray(author, dtype=np.int32),
        ts=np.asarray(ts, dtype=np.int64),
        kind=full(kind, np.int8, POST),
        ref=full(ref, np.int64, -1),
        ref_ext=np.zeros(n, dtype=np.int64),
        ref_acc=full(ref_acc, np.int32, -1),
        src=full(src, np.int8, SRC_ORGANIC),
        lang=full(lang, np.int8, 0),
        var=full(var, np.int32, -1),
        tags=np.full((n, MAX_TAGS), -1, dtype=np.int32),
        ment=np.full((n, MAX_MENTIONS), -1, dtype=np.int32),
        url=np.full(n, URL_NONE, dtype=np.int32),
        media=np.zeros(n, dtype=np.uint64),
        campaign=full(campaign, np.int32, -1),
    )


def concat(plans: list[PostPlan]) -> PostPlan:
    return PostPlan(
        **{f.name: np.concatenate([getattr(p, f.name) for p in plans]) for f in fields(PostPlan)}
    )


class PlanBuilder:
    """Collects blocks; ``offset`` is the plan index the next block will start at."""

    def __init__(self) -> None:
        self._blocks: list[PostPlan] = []
        self.offset = 0
        self._cache: PostPlan | None = None

    def add(self, plan: PostPlan) -> int:
        start = self.offset
        self._blocks.append(plan)
        self.offset += len(plan)
        self._cache = None
        return start

    def view(self) -> PostPlan:
        if self._cache is None:
            self._cache = concat(self._blocks) if self._blocks else block(np.zeros(0), np.zeros(0))
            self._blocks = [self._cache]
        return self._cache


@dataclass(slots=True)
class FinalPlan:
    """The plan with post ids; ``order`` lists plan indices in time order (file order).

    The plan itself is not reordered: references, reports and truth keep plan indices,
    and ids depend only on each post's time and a random rank (see ``snowflake_ids``).
    """

    plan: PostPlan
    ids: I64  # per plan index
    order: I64


def finalise(plan: PostPlan, rng: Rng) -> FinalPlan:
    return FinalPlan(plan, snowflake_ids(plan.ts, rng), time_order(plan.ts, rng))
