"""Scenario parameters: every number that shapes a simulated world, in one frozen record.

Counts marked *per scale* are multiplied by ``scale``; the others (operators, targets,
messages, waves) stay fixed so that a small world still shows every pattern.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScenarioParams:
    # the window
    end: str = "2026-03-31T00:00:00Z"
    window_days: int = 60
    # population (accounts per scale, shares of accounts)
    accounts: int = 12_000
    at_risk_share: float = 0.025
    min_at_risk: int = 24
    whrd_share: float = 0.35
    reregistered_share: float = 0.08
    affiliated_share: float = 0.003
    min_affiliated: int = 6
    newcomer_share: float = 0.04
    lurker_share: float = 0.4
    default_avatar_share: float = 0.35
    solidarity_avatar_share: float = 0.02
    avatar_files: int = 300
    # organic activity (per account, per window)
    posts_per_account: float = 2.0
    follows_per_account: float = 3.3
    logins_per_account: float = 1.6
    in_community: float = 0.75
    reports_per_account: float = 0.06
    # hard negatives
    solidarity_waves: int = 6
    wave_reposters: int = 1_000
    protest_bursts: int = 3
    burst_posters: int = 300
    # the operation
    operators: int = 5
    operation_share: float = 0.03
    min_operation: int = 60
    aged_share: float = 0.2
    poster_share: float = 0.5
    batch_span_days: float = 3.0
    avatar_pool: tuple[int, int] = (8, 12)
    operation_default_avatar: float = 0.2
    shared_device_share: float = 0.35
    camouflage_follows: float = 5.0
    targets: int = 6
    whrd_targets: int = 4
    operators_per_target: tuple[int, int] = (2, 3)
    swarm_participation: float = 0.75
    swarm_mean_minutes: float = 50.0
    swarm_max_hours: float = 4.0
    brigade_bursts: tuple[int, int] = (1, 3)
    brigade_participation: float = 0.3
    copypasta_messages: int = 30
    copypasta_variants: int = 12
    amplified_posts: int = 30
    reply_swarms: int = 3
    # moderation
    report_threshold: int = 5
    report_window_hours: int = 24
    suspension_days: int = 7
    moderators: int = 8
    biased_moderator: int = 6
    human_review_share: float = 0.35
    human_error: float = 0.04
    biased_error: float = 0.7
    detector_catch: float = 0.04

    @property
    def has_operation(self) -> bool:
        return self.operators > 0
