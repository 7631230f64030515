"""Notices: what the person affected by a restriction is told, in English or Persian.

A notice names the rule (the policy), says in plain words what was found (the reports
behind the action and the ones discounted, the findings it cites, the gate's reasons,
the moderator's note), whether automation detected it and whether automation decided it,
when the restriction ends (if it does) and how to appeal. Persian notices are written
right to left: every line opens with a right-to-left mark and ids, times and quoted
English text sit in left-to-right isolates, so that they read correctly in any
bidi-aware viewer; :meth:`Notice.html` wraps the body in ``dir="rtl" lang="fa"``.

A notice is stored in ``notices`` and appended to the audit log (with the hash of its
body); writing the same notice again returns the stored one.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from separ.decisions import audit
from separ.decisions.appeals import Action, get_actions, short_id
from separ.errors import ParameterError
from separ.schema import RESTRICTIONS
from separ.workspace import Workspace

LANGS = ("en", "fa")
RLM, LRI, PDI = "\u200f", "\u2066", "\u2069"
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fa": [
        "ژانویه",
        "فوریه",
        "مارس",
        "آوریل",
        "مه",
        "ژوئن",
        "ژوئیه",
        "اوت",
        "سپتامبر",
        "اکتبر",
        "نوامبر",
        "دسامبر",
    ],
}
POLICIES: dict[str, tuple[str, str]] = {
    "violent_speech": ("Violent speech", "سخن خشونت‌آمیز"),
    "harassment": ("Harassment", "آزار و اذیت"),
    "hateful_conduct": ("Hateful conduct", "رفتار نفرت‌انگیز"),
    "spam": ("Spam", "هرزنامه"),
    "misinformation": ("Misinformation", "اطلاعات نادرست"),
    "impersonation": ("Impersonation", "جعل هویت"),
    "other": ("Other rules", "سایر قواعد"),
    "platform_manipulation": ("Platform manipulation", "دستکاری پلتفرم"),
    "state_affiliated_media": ("State-affiliated media", "رسانهٔ وابسته به دولت"),
}
WHAT: dict[str, tuple[str, str]] = {
    "suspend": ("Your account was suspended", "حساب شما تعلیق شد"),
    "remove": ("Your post was removed", "پست شما حذف شد"),
    "limit": ("The reach of your account was limited", "دامنهٔ دیده‌شدن حساب شما محدود شد"),
    "label": ("A label was put on your account", "روی حساب شما برچسب گذاشته شد"),
    "warn": ("Your account received a warning", "به حساب شما هشدار داده شد"),
}
SOURCE: dict[str, tuple[str, str]] = {
    "report": ("reports from users", "گزارش کاربران"),
    "detector": ("automated detection", "تشخیص خودکار"),
    "proactive": ("the platform's own review", "بررسی خود پلتفرم"),
    "government": ("a government request", "درخواست یک نهاد دولتی"),
    "appeal": ("an appeal", "یک درخواست تجدیدنظر"),
}
STATUS = {
    "open": ("still open", "هنوز در حال بررسی است"),
    "upheld": ("upheld (the decision stands)", "رد شد (تصمیم پابرجاست)"),
    "overturned": ("overturned (the decision was reversed)", "پذیرفته شد (تصمیم لغو شد)"),
}
LABELS: dict[str, tuple[str, str]] = {
    "title": ("Notice of a restriction", "اطلاعیهٔ محدودیت"),
    "reference": ("Reference", "شمارهٔ پیگیری"),
    "account": ("Account", "حساب"),
    "post": ("post", "پست"),
    "what": ("What happened", "چه اتفاقی افتاد"),
    "rule": ("The rule", "قاعده"),
    "found": ("What was found", "چه چیزی یافت شد"),
    "automation": ("Automation", "نقش خودکارسازی"),
    "ends": ("End date", "پایان محدودیت"),
    "appeal": ("How to appeal", "چگونه درخواست تجدیدنظر کنید"),
    "on": ("on", "در"),
}


@dataclass(frozen=True, slots=True)
class Notice:
    notice_id: str
    action_id: str
    account_id: str
    lang: str
    body: str
    created_at: datetime

    @property
    def direction(self) -> str:
        return "rtl" if self.lang == "fa" else "ltr"

    def html(self) -> str:
        """The body as a small self-contained HTML fragment, right to left for Persian."""
        lines = "".join(f"<p>{html.escape(line)}</p>" for line in self.body.splitlines() if line)
        return (
            f'<article class="notice" lang="{self.lang}" dir="{self.direction}">{lines}</article>'
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "action_id": self.action_id,
            "account_id": self.account_id,
            "lang": self.lang,
            "dir": self.direction,
            "body": self.body,
            "created_at": audit.stamp(self.created_at),
        }


# --- the facts behind an action --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grounds:
    """What the workspace says about why an action was taken."""

    reports: int
    report_reasons: dict[str, int]
    first_report: datetime | None
    last_report: datetime | None
    discounted: int
    findings: list[tuple[str, str]]  # (finding_id, summary)
    detectors: list[dict[str, Any]]
    decision_reasons: list[str]
    decision_id: str | None
    appeals: list[tuple[str, datetime, str]]  # (appeal_id, filed_at, status)


def _reasons(raw: str | None) -> list[str]:
    """The gate's reasons (``{"reasons": [...]}``, a list, or text) as sentences."""
    if not raw:
        return []
    value = json.loads(raw)
    if isinstance(value, dict):
        value = value.get("reasons", [])
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("text") or item.get("reason") or item.get("summary") or ""
        if str(item).strip():
            out.append(str(item).strip())
    return out


GROUNDS_ACTIONS = (
    "WITH a AS (SELECT DISTINCT ON (action_id) action_id, account_id, policy, post_id, "
    "created_at, trigger_ref FROM actions WHERE action_id IN (SELECT unnest(?::VARCHAR[]))), "
    "refs AS (SELECT DISTINCT action_id, unnest(trigger_ref) AS ref FROM a) "
)
GROUNDS_QUERIES = {
    "reports": "SELECT refs.action_id, r.reason, count(*), min(r.created_at), max(r.created_at) "
    "FROM refs JOIN reports r ON r.report_id = refs.ref GROUP BY ALL "
    "ORDER BY 1, 3 DESC, 2",
    "findings": "SELECT refs.action_id, f.finding_id, f.summary, f.detector, f.version, f.params "
    "FROM refs JOIN findings f ON f.finding_id = refs.ref ORDER BY 1, 2",
    # The decision the action cites, else the latest on the same account, post and policy
    # in the day before it.
    "decisions": "SELECT a.action_id, d.decision_id, d.reasons, d.discounted_reports "
    "FROM a JOIN decisions d ON d.account_id = a.account_id "
    "WHERE list_contains(a.trigger_ref, d.decision_id) OR (d.policy = a.policy "
    "AND d.post_id IS NOT DISTINCT FROM a.post_id "
    "AND d.created_at BETWEEN a.created_at - INTERVAL 1 DAY AND a.created_at) "
    "QUALIFY row_number() OVER (PARTITION BY a.action_id "
    "ORDER BY list_contains(a.trigger_ref, d.decision_id) DESC, d.created_at DESC, "
    "d.decision_id) = 1",
    "appeals": "SELECT p.action_id, p.appeal_id, p.filed_at, coalesce(p.status, 'open') "
    "FROM appeals p WHERE p.action_id IN (SELECT action_id FROM a) ORDER BY 1, 3, 2",
}


def grounds_many(ws: Workspace, actions: Sequence[Action]) -> dict[str, Grounds]:
    """The reports, findings, gate decision and appeals behind each action (four queries
    for any number of actions)."""
    ids = [a.action_id for a in actions]
    got = {k: ws.sql(GROUNDS_ACTIONS + q, [ids]) for k, q in GROUNDS_QUERIES.items()}
    reps: dict[str, list[tuple[Any, ...]]] = {}
    for aid, *rest in got["reports"]:
        reps.setdefault(aid, []).append(tuple(rest))
    found: dict[str, list[tuple[Any, ...]]] = {}
    for aid, *rest in got["findings"]:
        found.setdefault(aid, []).append(tuple(rest))
    decided = {aid: (did, reasons, disc) for aid, did, reasons, disc in got["decisions"]}
    appealed: dict[str, list[tuple[str, datetime, str]]] = {}
    for aid, appeal_id, filed, status in got["appeals"]:
        appealed.setdefault(aid, []).append((appeal_id, filed, status))
    out = {}
    for a in actions:
        r, f = reps.get(a.action_id, []), found.get(a.action_id, [])
        d = decided.get(a.action_id)
        out[a.action_id] = Grounds(
            reports=sum(int(x[1]) for x in r),
            report_reasons={str(x[0]): int(x[1]) for x in r},
            first_report=min((x[2] for x in r), default=None),
            last_report=max((x[3] for x in r), default=None),
            discounted=len(set(d[2] or ()) & set(a.trigger_ref)) if d else 0,
            findings=[(str(x[0]), str(x[1])) for x in f],
            detectors=[
                {
                    "finding_id": x[0],
                    "name": x[2],
                    "version": x[3],
                    "params": json.loads(x[4] or "{}"),
                }
                for x in f
            ],
            decision_reasons=_reasons(d[1]) if d else [],
            decision_id=str(d[0]) if d else None,
            appeals=appealed.get(a.action_id, []),
        )
    return out


def grounds(ws: Workspace, action: Action) -> Grounds:
    return grounds_many(ws, [action])[action.action_id]


# --- writing the text ------------------------------------------------------------------------


def when(ts: datetime, lang: str) -> str:
    """A UTC time in words: "4 March 2026, 13:21 UTC" or its Persian form."""
    month = MONTHS[lang][ts.month - 1]
    if lang == "fa":
        text = f"{ts.day} {month} {ts.year}، ساعت {ts:%H:%M} به وقت جهانی (UTC)"
        return text.translate(FA_DIGITS)
    return f"{ts.day} {month} {ts.year}, {ts:%H:%M} UTC"


def _ltr(text: str, lang: str) -> str:
    """Ids and quoted English inside Persian text: a left-to-right isolate."""
    return f"{LRI}{text}{PDI}" if lang == "fa" else text


def _num(n: int, lang: str) -> str:
    return str(n).translate(FA_DIGITS) if lang == "fa" else str(n)


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "en" else pair[1]


def _policy(policy: str, lang: str) -> str:
    name = _pick(POLICIES.get(policy, (policy.replace("_", " ").capitalize(),) * 2), lang)
    return f"{name} ({_ltr(policy, lang)})"


def _found(action: Action, g: Grounds, lang: str) -> list[str]:
    """What was found, one sentence each."""
    fa = lang == "fa"
    out: list[str] = []
    if g.reports and g.first_report is not None and g.last_report is not None:
        sep = "، " if fa else ", "
        reasons = sep.join(
            f"{_policy(r, lang)}: {_num(n, lang)}" for r, n in g.report_reasons.items()
        )
        first, last = when(g.first_report, lang), when(g.last_report, lang)
        if fa:
            span = f"در {first}" if first == last else f"از {first} تا {last}"
            out.append(f"{_num(g.reports, lang)} گزارش علیه شما {span} ثبت شد ({reasons}).")
        else:
            span = f"on {first}" if first == last else f"between {first} and {last}"
            plural = "s" if g.reports != 1 else ""
            out.append(f"{g.reports} report{plural} against you {span} ({reasons}).")
    if g.discounted:
        out.append(
            f"{_num(g.discounted, lang)} مورد از این گزارش‌ها از حساب‌هایی آمد که مظنون به "
            "گزارش‌دهی هماهنگ‌اند و به حساب نیامد."
            if fa
            else f"{g.discounted} of these reports came from accounts suspected of coordinated "
            "reporting and were not counted."
        )
    for finding_id, summary in g.findings:
        out.append(
            f"یافتهٔ {_ltr(finding_id, lang)} (متن اصلی به انگلیسی): {_ltr(summary, lang)}"
            if fa
            else f"Finding {finding_id}: {summary}"
        )
    for reason in g.decision_reasons:
        out.append(
            f"دلیل بررسی خودکار (به انگلیسی): {_ltr(reason, lang)}"
            if fa
            else f"Automated check: {reason}"
        )
    if action.reason:
        out.append(
            f"یادداشت تصمیم‌گیرنده (به انگلیسی): {_ltr(action.reason, lang)}"
            if fa
            else f"The decision-maker's note: {action.reason}"
        )
    if not out:
        out.append(
            "هیچ سابقه‌ای از شواهد این تصمیم ثبت نشده است؛ می‌توانید آن را بخواهید."
            if fa
            else "No record of the evidence for this decision was kept; you may ask for it."
        )
    return out


def automation(action: Action, lang: str) -> str:
    """Whether automation detected it and whether automation decided it."""
    detected = action.trigger == "detector" or (action.trigger == "proactive" and action.automated)
    source = _pick(
        SOURCE.get(action.trigger or "", ("an unrecorded source", "منبعی ثبت‌نشده")), lang
    )
    if lang == "fa":
        a = "به‌طور خودکار شناسایی شد" if detected else f"از طریق {source} شناسایی شد"
        b = (
            "و یک قاعدهٔ خودکار، بدون بررسی انسانی، درباره‌اش تصمیم گرفت."
            if action.automated
            else "و یک انسان درباره‌اش تصمیم گرفت."
        )
        return f"این مورد {a} {b}"
    a = "Automation detected this" if detected else f"This was detected through {source}"
    b = (
        "and an automated rule decided it, with no person reviewing it first."
        if action.automated
        else "and a person decided it; automation did not decide it."
    )
    return f"{a} {b}"


def _ends(action: Action, lang: str) -> str:
    if action.ends_at is not None:
        return (
            f"این محدودیت در {when(action.ends_at, lang)} پایان می‌یابد."
            if lang == "fa"
            else f"This restriction ends on {when(action.ends_at, lang)}."
        )
    if action.action == "remove":
        return (
            "پست حذف‌شده بازنمی‌گردد، مگر آن‌که درخواست تجدیدنظر شما پذیرفته شود."
            if lang == "fa"
            else "The post stays removed unless your appeal succeeds."
        )
    return (
        "این محدودیت تاریخ پایان ندارد: تا وقتی در تجدیدنظر یا بازبینی برداشته نشود، ادامه دارد."
        if lang == "fa"
        else "This restriction has no end date: it lasts until it is lifted on appeal or review."
    )


def _appeal(action: Action, g: Grounds, lang: str, contact: str | None) -> list[str]:
    fa = lang == "fa"
    ref = _ltr(action.action_id, lang)
    how = (
        f"برای تجدیدنظر به این اطلاعیه پاسخ دهید{f' یا به {_ltr(contact, lang)} مراجعه کنید' if contact else ''}، "
        f"شمارهٔ پیگیری {ref} را ذکر کنید و بنویسید چرا این تصمیم نادرست است. "
        "کسی که این تصمیم را نگرفته آن را بررسی می‌کند و نتیجه و دلایلش را به شما می‌گوید. "
        "می‌توانید به فارسی یا انگلیسی بنویسید."
        if fa
        else f"To appeal, reply to this notice{f' or go to {contact}' if contact else ''}, quote "
        f"reference {ref} and say why the decision is wrong. A person who did not take this "
        "decision will review it and tell you the outcome and the reasons. You may write in "
        "Persian or English."
    )
    out = [how]
    for appeal_id, filed_at, state in g.appeals:
        status = _pick(STATUS.get(state, (state, state)), lang)
        out.append(
            f"شما در {when(filed_at, lang)} درخواست تجدیدنظر {_ltr(appeal_id, lang)} را ثبت کردید؛ وضعیت: {status}."
            if fa
            else f"You appealed on {when(filed_at, lang)} (appeal {appeal_id}); status: {status}."
        )
    return out


def render(action: Action, g: Grounds, lang: str, contact: str | None = None) -> str:
    """The notice's text."""
    if lang not in LANGS:
        raise ParameterError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    label = {k: _pick(v, lang) for k, v in LABELS.items()}
    post = f" ({label['post']} {_ltr(action.post_id, lang)})" if action.post_id else ""
    what = f"{_pick(WHAT[action.action], lang)} {label['on']} {when(action.created_at, lang)}."
    if lang == "fa":
        what = f"{_pick(WHAT[action.action], lang)}، {when(action.created_at, lang)}."
    lines = [
        f"{label['title']} — {label['reference']} {_ltr(action.action_id, lang)}",
        f"{label['account']}: {_ltr(action.account_id, lang)}{post}",
        f"{label['what']}: {what}",
        f"{label['rule']}: {_policy(action.policy, lang)}",
        f"{label['found']}:",
        *(f"- {s}" for s in _found(action, g, lang)),
        f"{label['automation']}: {automation(action, lang)}",
        f"{label['ends']}: {_ends(action, lang)}",
        f"{label['appeal']}:",
        *(f"- {s}" for s in _appeal(action, g, lang, contact)),
    ]
    if lang == "fa":
        lines = [RLM + line for line in lines]
    return "\n".join(lines) + "\n"


def write_notice(
    ws: Workspace,
    action_id: str,
    lang: str = "en",
    *,
    at: datetime | None = None,
    actor: str = "separ",
    contact: str | None = None,
) -> Notice:
    """Write, store and audit the notice of one restriction (``lang`` ``en`` or ``fa``);
    ``contact`` is where to appeal (a URL or address), named in the text when given."""
    return write_notices(ws, [action_id], (lang,), at=at, actor=actor, contact=contact)[0]


def _detail(action: Action, g: Grounds, notice_id: str, lang: str, body: str) -> dict[str, Any]:
    return {
        "account_id": action.account_id,
        "action_id": action.action_id,
        "notice_id": notice_id,
        "lang": lang,
        "inputs": {
            "policy": action.policy,
            "trigger": action.trigger,
            "trigger_ref": list(action.trigger_ref),
            "decision_id": g.decision_id,
        },
        "detectors": g.detectors,
        "automated_decision": action.automated,
        "body_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "outcome": "notice written",
    }


def write_notices(
    ws: Workspace,
    action_ids: Sequence[str],
    langs: Sequence[str] = LANGS,
    *,
    at: datetime | None = None,
    actor: str = "separ",
    contact: str | None = None,
) -> list[Notice]:
    """The notices of many restrictions in each language, written in one transaction
    (notices already stored with the same text are returned, not written again)."""
    for lang in langs:
        if lang not in LANGS:
            raise ParameterError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    actions = get_actions(ws, action_ids)
    for aid in action_ids:
        if aid not in actions:
            raise ParameterError(f"no action {aid!r} in the workspace")
        if actions[aid].action not in RESTRICTIONS:
            raise ParameterError(f"action {aid} is a {actions[aid].action}, not a restriction")
    why = grounds_many(ws, list(actions.values()))
    created = audit.naive_utc(at) if at is not None else audit.now()
    drafts: list[tuple[Notice, dict[str, Any]]] = []
    for aid in dict.fromkeys(action_ids):
        action, g = actions[aid], why[aid]
        for lang in langs:
            body = render(action, g, lang, contact)
            nid = short_id("n", aid, lang, body)
            notice = Notice(nid, aid, action.account_id, lang, body, created)
            drafts.append((notice, _detail(action, g, nid, lang, body)))
    stored = {
        r[0]: Notice(*r)
        for r in ws.sql(
            "SELECT notice_id, action_id, account_id, lang, body, created_at FROM notices "
            "WHERE notice_id IN (SELECT unnest(?::VARCHAR[]))",
            [[n.notice_id for n, _ in drafts]],
        )
    }
    new = [(n, d) for n, d in drafts if n.notice_id not in stored]
    if new:
        batch = pa.table(
            {
                "notice_id": [n.notice_id for n, _ in new],
                "action_id": [n.action_id for n, _ in new],
                "account_id": [n.account_id for n, _ in new],
                "lang": [n.lang for n, _ in new],
                "body": [n.body for n, _ in new],
                "created_at": pa.array([n.created_at for n, _ in new], pa.timestamp("us")),
            }
        )
        pending = [audit.Pending(actor, "notice", n.account_id, d, created) for n, d in new]
        with ws.transaction():
            ws.con.register("_notice_batch", batch)
            try:
                ws.con.execute("INSERT INTO notices SELECT * FROM _notice_batch")
            finally:
                ws.con.unregister("_notice_batch")
            audit.append_many(ws, pending)
    return [stored.get(n.notice_id, n) for n, _ in drafts]


def unnoticed(ws: Workspace, lang: str = "en") -> list[str]:
    """Restrictions without a notice in ``lang``, oldest first."""
    rows = ws.sql(
        "SELECT a.action_id FROM actions a WHERE a.action IN ('suspend', 'remove', 'limit', "
        "'label', 'warn') AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.action_id = "
        "a.action_id AND n.lang = ?) ORDER BY a.created_at, a.action_id",
        [lang],
    )
    return [r[0] for r in rows]


def notify_all(
    ws: Workspace, langs: Sequence[str] = LANGS, *, at: datetime | None = None
) -> list[Notice]:
    """A notice for every restriction that has none yet, in each language."""
    return [n for lang in langs for n in write_notices(ws, unnoticed(ws, lang), (lang,), at=at)]
