"""What an unmeasured factor would need to explain the effect away: the E-value (VanderWeele & Ding 2017)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.common.policy import COMMON_OUTCOME
from analytics.estimation.curves import overall_km
from analytics.estimation.followup import FollowUp
from analytics.estimation.results import HazardRatio


# ---------------------------------------------------------------- what an unmeasured factor would need

@dataclass(frozen=True)
class EValue:
    """VanderWeele & Ding (2017): the smallest risk ratio an unmeasured factor would need with both
    mentoring and leaving, beyond the adjustment, to explain the effect away (`estimate`) or to move
    the interval to include no effect (`ci`; 1 when it already does)."""

    estimate: float
    ci: float
    risk_ratio: float          # the hazard ratio on the risk-ratio scale the E-value is taken on
    common_outcome: bool       # more than 15% had left by the end of follow-up: the HR is converted

    def to_dict(self) -> dict:
        return {"estimate": float(self.estimate), "ci": float(self.ci)}


def risk_ratio_of(hazard_ratio: float, common_outcome: bool) -> float:
    """A hazard ratio as a risk ratio: itself for a rare outcome; for a common one VanderWeele's (2017)
    square-root conversion, RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))."""
    if not common_outcome:
        return hazard_ratio
    return (1 - 0.5 ** np.sqrt(hazard_ratio)) / (1 - 0.5 ** np.sqrt(1 / hazard_ratio))


def e_value_of(risk_ratio: float) -> float:
    """E = RR + sqrt(RR (RR - 1)), with RR taken above 1 (a protective RR is inverted)."""
    rr = 1 / risk_ratio if risk_ratio < 1 else risk_ratio
    return float(rr + np.sqrt(rr * (rr - 1)))


def e_value(hr: HazardRatio, common_outcome: bool) -> EValue:
    """The E-value of a hazard ratio and of its confidence limit nearer 1 (1 when the interval spans 1)."""
    rr = risk_ratio_of(hr.estimate, common_outcome)
    spans = hr.lower <= 1 <= hr.upper
    nearer = hr.upper if hr.estimate < 1 else hr.lower
    ci = 1.0 if spans else e_value_of(risk_ratio_of(nearer, common_outcome))
    return EValue(e_value_of(rr), ci, float(rr), common_outcome)


def outcome_is_common(fu: FollowUp) -> bool:
    """More than 15% had the event by the end of follow-up (VanderWeele's threshold for converting a
    hazard ratio before taking its E-value)."""
    km = overall_km(fu)
    return bool(1 - km.table_["survival"].iloc[-1] > COMMON_OUTCOME) if len(km.table_) else False
