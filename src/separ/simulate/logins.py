"""Logins and registers: how accounts connect, and what the platform already knows.

At-risk accounts connect mostly through VPNs and Tor and therefore share a few exit
addresses with each other and with ordinary VPN users; mobile carriers put many people
behind the same address too. None of that links accounts (principle 3). Operation
batches sometimes share a device, which can.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from separ.simulate.common import DAY, I8, I64, U64, Rng, mix64, pick
from separ.simulate.params import ScenarioParams
from separ.simulate.population import AFFILIATED, AT_RISK, OPERATION, ORGANIC, Population

NETWORKS = ("residential", "mobile", "datacenter", "vpn", "tor", "unknown")
RESIDENTIAL, MOBILE, DATACENTER, VPN, TOR, UNKNOWN = range(6)
_P = np.zeros((4, 6))
_P[ORGANIC] = [0.52, 0.36, 0.01, 0.08, 0.01, 0.02]
_P[AT_RISK] = [0.08, 0.1, 0.0, 0.6, 0.2, 0.02]
_P[AFFILIATED] = [0.6, 0.3, 0.1, 0.0, 0.0, 0.0]
_P[OPERATION] = [0.35, 0.22, 0.25, 0.15, 0.0, 0.03]
ASNS = {
    RESIDENTIAL: ("AS58224", "AS16322", "AS31549", "AS12880", "AS3320", "AS7922"),
    MOBILE: ("AS44244", "AS197207", "AS57218"),
    DATACENTER: ("AS24940", "AS16276", "AS14061", "AS51167"),
    VPN: ("AS9009", "AS60068", "AS212238", "AS136787"),
    TOR: ("AS60729", "AS53667", "AS205100", "AS208323"),
}
VPN_EXITS, TOR_EXITS = 40, 60
KIND_SHIFT = 40  # ip id = kind << 40 | number


@dataclass(slots=True)
class Logins:
    account: I64
    ts: I64
    network: I8
    asn: I64  # index into ASN_LIST, -1 = unknown
    ip: U64  # salted hash, 0 = unknown
    device: U64


ASN_LIST = [a for kind in sorted(ASNS) for a in ASNS[kind]]
_ASN_START = {}
_at = 0
for _kind in sorted(ASNS):
    _ASN_START[_kind] = _at
    _at += len(ASNS[_kind])


def build_logins(pop: Population, params: ScenarioParams, rng: Rng, salt: int) -> Logins:
    count = 1 + rng.poisson(params.logins_per_account - 1.0, size=pop.n)
    account = np.repeat(np.arange(pop.n), count)
    n = len(account)
    lo = np.maximum(pop.created[account], pop.start)
    hi = pop.active_until[account]
    ts = lo + (rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)
    role = pop.role[account]
    cum = _P.cumsum(axis=1)[role]
    network = (rng.random(n)[:, None] > cum).sum(axis=1).astype(np.int8)
    number = account.astype(np.int64) * 2 + rng.integers(0, 2, size=n)  # a home or two
    mobile_pool = max(20, pop.n // 40)  # carrier-grade NAT: many users per address
    number = np.where(network == MOBILE, rng.integers(0, mobile_pool, size=n), number)
    zipf = 1.0 / np.arange(1, VPN_EXITS + 1) ** 1.1
    number = np.where(network == VPN, pick(rng, zipf, n), number)
    number = np.where(network == TOR, rng.integers(0, TOR_EXITS, size=n), number)
    op = pop.operator[account]
    dc = np.where(
        op >= 0,
        op.astype(np.int64) * 8 + rng.integers(0, 4, size=n),
        1000 + rng.integers(0, 200, size=n),
    )
    number = np.where(network == DATACENTER, dc, number)
    ip_id = (network.astype(np.uint64) << np.uint64(KIND_SHIFT)) | number.astype(np.uint64)
    ip = np.where(network == UNKNOWN, np.uint64(0), mix64(ip_id, salt))
    start = np.array([_ASN_START.get(k, 0) for k in range(6)])
    size = np.array([len(ASNS.get(k, ("",))) for k in range(6)])
    asn = np.where(network == UNKNOWN, -1, start[network] + number % size[network])
    device = _devices(pop, params, account, rng)
    return Logins(account, ts, network, asn.astype(np.int64), ip, mix64(device, salt ^ 0x5EED))


def _devices(pop: Population, params: ScenarioParams, account: I64, rng: Rng) -> U64:
    """One or two devices per person; operation batches sometimes share a few phones."""
    n = len(account)
    own = account.astype(np.uint64) * np.uint64(2) + rng.integers(0, 2, size=n).astype(np.uint64)
    batch = pop.batch[account]
    shared = (batch >= 0) & (rng.random(n) < params.shared_device_share)
    phone = (np.uint64(1) << np.uint64(50)) | (
        batch.astype(np.uint64) * np.uint64(4) + rng.integers(0, 3, size=n).astype(np.uint64)
    )
    out: U64 = np.where(shared, phone, own)
    return out


@dataclass(slots=True)
class Registers:
    account: I64
    register: I8  # 0 protected, 1 affiliated
    kind: I8  # population.KINDS
    since: I64


def build_registers(pop: Population, rng: Rng) -> Registers:
    """Every at-risk account is known to the helpline; affiliated ones from public lists."""
    account = np.flatnonzero((pop.role == AT_RISK) | (pop.role == AFFILIATED))
    register = (pop.role[account] == AFFILIATED).astype(np.int8)
    created = pop.created[account]
    since = created + (rng.random(len(account)) * np.maximum(pop.end - DAY - created, 0)).astype(
        np.int64
    )
    order = np.argsort(since, kind="stable")  # the order the operator learnt of them
    return Registers(
        account[order].astype(np.int64), register[order], pop.kind[account][order], since[order]
    )
