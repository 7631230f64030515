"""The dossier: what happened to one targeted account, for a reviewer who has ten minutes.

``build_dossier(ws, target)`` reads the stored findings that name the account among their
targets (whatever detectors have run), the events they cite, and the native tables, and
returns the *JSON twin*: the target, a plain-words summary, numbered claims (each with the
finding ids and activity event ids behind it), and the data of every section:

* followers: arrivals over time with the detected bursts marked, the creation dates of the
  cited followers against the account's other followers, and the follower map (follow
  order x creation date);
* profile images the accounts acting against the target share, with counts;
* reports against the target (which ones findings attribute to a brigade) and the
  platform's actions against it (which were triggered by those reports);
* excerpts of the replies and mentions that findings cite;
* the campaigns involved, and other findings about the same accounts.

``write_dossier`` writes it as ``FILE.json`` and as ``FILE.html``: one self-contained page
(inline CSS and SVG charts, no script, nothing fetched; text in any script is isolated
with ``dir="auto"`` so Persian reads right to left). Nothing in the workspace is changed:
the work is in SQL over temporary tables prefixed ``_ds_``.

Only acts *against the target* count towards it: the events a finding cites that are a
follow of the target, a report against it, or a reply, quote or mention of it. A finding
that names several targets (lockstep) thus contributes only its members who acted on this
one. Traits of single accounts are never shown as evidence; the creation-date comparison
is between the cited cohort and the target's other followers (principle 2).
"""

from separ.exports.dossier.build import build_dossier
from separ.exports.dossier.common import FORMAT, Claim
from separ.exports.dossier.html import (
    default_name,
    dossier_paths,
    isolate,
    render_html,
    write_dossier,
)
from separ.exports.dossier.target import most_attacked_target, resolve_target
from separ.wording import account_name

__all__ = [
    "FORMAT",
    "Claim",
    "account_name",
    "build_dossier",
    "default_name",
    "dossier_paths",
    "isolate",
    "most_attacked_target",
    "render_html",
    "resolve_target",
    "write_dossier",
]
