"""Hand-computable checks of the survival engine, its risk-set rules and its input errors.

The expected numbers are worked out in the docstrings and comments beside them.
"""

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.hazard_regression import PHReg

from analytics.common.errors import EstimationError, SurvivalDataError
from analytics.estimation.competing import cumulative_incidence, cumulative_incidence_at
from analytics.estimation.cox import fit_cox
from analytics.estimation.km import KaplanMeier, logrank, logrank_observed_expected, rmst_difference
from analytics.estimation.results import Estimate, HazardRatio, TestResult
from analytics.estimation.zph import ph_test, scaled_schoenfeld

pytestmark = pytest.mark.filterwarnings("error")

Z95 = 1.959963984540054

# Six people: times 1, 2, 2, 3, 4, 5 with the person at 2 (second) and at 4 censored.
TIMES = [1, 2, 2, 3, 4, 5]
EVENTS = [1, 1, 0, 1, 0, 1]


@pytest.fixture()
def tiny_km():
    return KaplanMeier().fit(None, TIMES, EVENTS)


# ---------------------------------------------------------------------------
# Kaplan-Meier by hand
# ---------------------------------------------------------------------------


def test_km_table_by_hand(tiny_km):
    """t=1: 6 at risk, 1 exit  -> S = 5/6
    t=2: 5 at risk, 1 exit, 1 censored -> S = 5/6 * 4/5 = 2/3
    t=3: 3 at risk, 1 exit  -> S = 2/3 * 2/3 = 4/9
    t=4: 2 at risk, censored -> S = 4/9
    t=5: 1 at risk, 1 exit  -> S = 0"""
    table = tiny_km.table_
    assert table["time"].tolist() == [1, 2, 3, 4, 5]
    assert table["at_risk"].tolist() == [6, 5, 3, 2, 1]
    assert table["events"].tolist() == [1, 1, 1, 0, 1]
    assert table["censored"].tolist() == [0, 1, 0, 1, 0]
    np.testing.assert_allclose(table["survival"], [5 / 6, 2 / 3, 4 / 9, 4 / 9, 0.0])


def test_km_greenwood_and_log_log_interval_by_hand(tiny_km):
    """Greenwood at t=3: sum d/(n(n-d)) = 1/(6*5) + 1/(5*4) + 1/(3*2) = 15/60 = 1/4,
    so SE(S) = 4/9 * sqrt(1/4) = 2/9.  Log-log interval (R conf.type="log-log"):
    exp(-exp(log(-log S) -/+ z * 0.5 / log S))."""
    row = tiny_km.table_.iloc[2]
    assert row["std_err"] == pytest.approx(2 / 9)
    s, se_log = 4 / 9, 0.5
    lower = math.exp(-math.exp(math.log(-math.log(s)) - Z95 * se_log / math.log(s)))
    upper = math.exp(-math.exp(math.log(-math.log(s)) + Z95 * se_log / math.log(s)))
    assert row["lower_0.95"] == pytest.approx(lower)
    assert row["upper_0.95"] == pytest.approx(upper)
    assert lower < s < upper


def test_km_step_function_reads(tiny_km):
    """Right-continuous steps: S = 1 before the first exit, 2/3 on [2, 3), 0 from t=5 on
    (the curve reached 0, so it is known past follow-up too)."""
    assert tiny_km.survival_at(0.5) == Estimate(1.0, 1.0, 1.0, 0.95, 6)
    assert tiny_km.survival_at(2.5).estimate == pytest.approx(2 / 3)
    assert tiny_km.survival_at(3).estimate == pytest.approx(4 / 9)
    assert tiny_km.survival_at(7).estimate == 0.0


def test_km_is_not_estimable_past_follow_up():
    """Last time 4 is censored with S = 2/3 > 0: nothing is known after it."""
    km = KaplanMeier().fit(None, [1, 2, 3, 4], [1, 0, 0, 0])
    assert math.isnan(km.survival_at(10).estimate)
    assert km.survival_at(10).to_dict() == {"estimate": None, "lower": None, "upper": None}


def test_km_median_by_hand(tiny_km):
    """S first drops to <= 0.5 at t=3 (S = 4/9)."""
    assert tiny_km.median_().estimate == 3


def test_km_median_midpoint_rule_on_a_flat_half():
    """Four exits at 1, 2, 3, 4: S(2) = 0.5 exactly on [2, 3), so R's median is (2 + 3) / 2."""
    km = KaplanMeier().fit(None, [1, 2, 3, 4], [1, 1, 1, 1])
    assert km.median_().estimate == 2.5


def test_km_median_not_reached_is_nan():
    km = KaplanMeier().fit(None, [1, 2, 3, 4], [1, 0, 0, 0])
    assert math.isnan(km.median_().estimate)


def test_at_risk_counts(tiny_km):
    """start < t <= stop: at t=2 the five people with time >= 2; at 0 everyone (all start at 0)."""
    assert tiny_km.at_risk_at([0, 2, 4.5, 6]).tolist() == [6, 5, 1, 0]


# ---------------------------------------------------------------------------
# (start, stop] risk sets
# ---------------------------------------------------------------------------

# A exits at 2; B enters at 2 (exactly A's exit time) and exits at 5; C is followed to 6.
EDGE_START = [0, 2, 0]
EDGE_STOP = [2, 5, 6]
EDGE_EVENT = [1, 1, 0]


def test_entry_at_an_event_time_is_not_at_risk_then():
    """At t=2 the risk set is {A, C}: B's interval (2, 5] does not contain 2.
    S(2) = 1 - 1/2 = 1/2; at t=5 the risk set is {B, C}: S(5) = 1/2 * (1 - 1/2) = 1/4."""
    km = KaplanMeier().fit(EDGE_START, EDGE_STOP, EDGE_EVENT)
    table = km.table_.set_index("time")
    assert table.loc[2, "at_risk"] == 2
    assert table.loc[5, "at_risk"] == 2
    assert table.loc[2, "survival"] == pytest.approx(0.5)
    assert table.loc[5, "survival"] == pytest.approx(0.25)
    assert km.at_risk_at([2, 2.5]).tolist() == [2, 2]


# Five rows; B enters at 2, the time of A's exit.
TRAP = pd.DataFrame(
    {
        "start": [0, 2, 0, 0, 0],
        "stop": [2, 5, 4, 7, 3],
        "event": [1, 1, 1, 0, 0],
        "x": [0, 1, 1, 0, 1],
    }
)


def test_cox_entry_at_event_time_is_not_at_risk():
    """Null partial log-likelihood, R's risk sets: exits at 2 (risk set A,C,D,E: 4 rows),
    4 (B,C,D: 3) and 5 (B,D: 2), so log L(0) = -log 4 - log 3 - log 2 = -log 24.
    statsmodels with entry=start also counts B at t=2: -log 5 - log 3 - log 2 = -log 30."""
    fit = fit_cox(TRAP["start"], TRAP["stop"], TRAP["event"], TRAP[["x"]])
    assert fit.loglik_null_ == pytest.approx(-math.log(24))
    naive = PHReg(
        TRAP["stop"].to_numpy(float), TRAP[["x"]].to_numpy(float), status=TRAP["event"].to_numpy(),
        entry=TRAP["start"].to_numpy(float), ties="efron",
    )
    assert naive.loglike(np.zeros(1)) == pytest.approx(-math.log(30))


def _split_rows(start, stop, event, cut_at):
    """Cut each row at an interior time into (start, c] without the event and (c, stop]."""
    rows = []
    for a, b, e, c in zip(start, stop, event, cut_at):
        if a < c < b:
            rows += [(a, c, 0), (c, b, e)]
        else:
            rows.append((a, b, e))
    return [np.array(column, dtype=float) for column in zip(*rows)]


def test_splitting_a_row_changes_nothing():
    """(0, 10] and (0, 4] + (4, 10] describe the same follow-up, so KM, the log-rank test
    and a Cox fit must not change when rows are cut (this is what makes the extended KM
    and the time-varying Cox model correct).  Cuts at 4 coincide with event times."""
    rng = np.random.default_rng(7)
    n = 120
    stop = rng.integers(1, 30, n).astype(float)
    event = rng.integers(0, 2, n)
    group = rng.integers(0, 2, n)
    start = np.zeros(n)
    cut = np.where(stop > 4, 4.0, 0.0)
    s2, e2, ev2 = _split_rows(start, stop, event, cut)
    g2 = np.concatenate([[g, g] if b > 4 else [g] for g, b in zip(group, stop)])

    whole = KaplanMeier().fit(start, stop, event).table_
    pieces = KaplanMeier().fit(s2, e2, ev2).table_
    np.testing.assert_allclose(pieces["survival"], whole["survival"])
    np.testing.assert_allclose(pieces["lower_0.95"], whole["lower_0.95"])
    assert logrank(s2, e2, ev2, g2).statistic == pytest.approx(logrank(start, stop, event, group).statistic)
    cox_whole = fit_cox(start, stop, event, pd.DataFrame({"g": group}))
    cox_pieces = fit_cox(s2, e2, ev2, pd.DataFrame({"g": g2}))
    assert cox_pieces.params_["g"] == pytest.approx(cox_whole.params_["g"], abs=1e-8)


def test_extended_kaplan_meier_simon_makuch_by_hand():
    """Mentored group rows enter at the mentoring start m (Simon-Makuch).
    Mentored rows: (3, 10] exit, (5, 8] censored, (0, 12] censored (mentored from hire).
    t=10: at risk = rows with start < 10 <= stop = {(3,10], (0,12]} = 2  -> S = 1/2.
    t=4 reads S = 1: the (3,10] row is at risk but no one exits before 10."""
    km = KaplanMeier().fit([3, 5, 0], [10, 8, 12], [1, 0, 0])
    table = km.table_.set_index("time")
    assert table.loc[10, "at_risk"] == 2
    assert table.loc[10, "survival"] == pytest.approx(0.5)
    assert km.at_risk_at([1, 4, 6]).tolist() == [1, 2, 3]
    assert km.survival_at(4).estimate == 1.0


# ---------------------------------------------------------------------------
# Ties: Efron, not statsmodels' Breslow default
# ---------------------------------------------------------------------------

TIES = pd.DataFrame({"time": [1, 1, 2, 3, 4], "event": [1, 1, 1, 0, 1], "x": [1, 0, 1, 0, 0]})


def test_efron_not_breslow_ties():
    """Null log-likelihood, 2 tied exits at t=1 among 5, then 1 of 3 at t=2, 1 of 1 at t=4.
    Efron:   -log 5 - log(5 - 2/2) - log 3 - log 1 = -log 60
    Breslow: -2 log 5 - log 3                      = -log 75 (PHReg's default)."""
    fit = fit_cox(None, TIES["time"], TIES["event"], TIES[["x"]])
    assert fit.loglik_null_ == pytest.approx(-math.log(60))
    default = PHReg(TIES["time"].to_numpy(float), TIES[["x"]].to_numpy(float), status=TIES["event"].to_numpy())
    assert default.ties == "breslow"
    assert default.loglike(np.zeros(1)) == pytest.approx(-math.log(75))
    assert default.fit(method="newton").params[0] != pytest.approx(fit.params_["x"], abs=1e-3)


def test_baseline_cumulative_hazard_efron_by_hand():
    """R basehaz(fit, centered = FALSE) for an Efron fit, w = exp(beta x):
    t=1: tied exits (x=1, x=0) among all 5: R = 2w + 3, D = w + 1,
         dH = 1/R + 1/(R - D/2)
    t=2: risk set rows 3-5 (x = 1, 0, 0): dH = 1/(w + 2)
    t=4: the last row (x = 0): dH = 1."""
    fit = fit_cox(None, TIES["time"], TIES["event"], TIES[["x"]])
    w = math.exp(fit.params_["x"])
    h1 = 1 / (2 * w + 3) + 1 / (2 * w + 3 - (w + 1) / 2)
    h2 = 1 / (w + 2)
    expected = np.cumsum([h1, h2, 1.0])
    table = fit.baseline_cumulative_hazard_
    assert table["time"].tolist() == [1, 2, 4]
    np.testing.assert_allclose(table["cumulative_hazard"], expected)


def test_statsmodels_baseline_hazard_is_shifted_one_event_time():
    """The trap: PHReg's baseline_cumulative_hazard is 0 at the first event time and
    reports H(t_{i-1}) at t_i.  Without ties Efron = Breslow, so ours[i-1] == theirs[i]."""
    rng = np.random.default_rng(11)
    time = rng.permutation(np.arange(1, 41)).astype(float)
    event = rng.integers(0, 2, 40)
    x = rng.normal(size=40)
    ours = fit_cox(None, time, event, pd.DataFrame({"x": x}))
    model = PHReg(time, x[:, None], status=event, ties="efron")
    _, theirs, _ = model.baseline_cumulative_hazard(ours.params_.to_numpy())[0]
    mine = ours.baseline_cumulative_hazard_["cumulative_hazard"].to_numpy()
    assert theirs[0] == 0.0 and mine[0] > 0
    np.testing.assert_allclose(theirs[1:], mine[:-1])


# ---------------------------------------------------------------------------
# RMST
# ---------------------------------------------------------------------------


def test_rmst_by_hand(tiny_km):
    """Area under S to tau=4: 1*1 + 1*5/6 + 1*2/3 + 1*4/9 = 53/18.
    Var = sum_i A_i^2 d_i/(n_i(n_i-d_i)), A_i = area from t_i to 4:
      t=1: A = 5/6 + 2/3 + 4/9 = 35/18, h = 1/30
      t=2: A = 2/3 + 4/9 = 10/9,        h = 1/20
      t=3: A = 4/9,                     h = 1/6"""
    variance = (35 / 18) ** 2 / 30 + (10 / 9) ** 2 / 20 + (4 / 9) ** 2 / 6
    result = tiny_km.rmst(4)
    assert result.estimate == pytest.approx(53 / 18)
    assert tiny_km.rmst_se(4) == pytest.approx(math.sqrt(variance))
    assert result.lower == pytest.approx(53 / 18 - Z95 * math.sqrt(variance))


def test_rmst_difference_adds_variances(tiny_km):
    """One exit at 2 among two people (the other censored at 6): to tau=4 the area is
    2*1 + 2*1/2 = 3, variance = (2*1/2)^2 * 1/(2*1) = 1/2."""
    other = KaplanMeier().fit(None, [2, 6], [1, 0])
    assert other.rmst(4).estimate == pytest.approx(3.0)
    assert other.rmst_se(4) == pytest.approx(math.sqrt(0.5))
    diff = rmst_difference(tiny_km, other, 4)
    se = math.sqrt(tiny_km.rmst_se(4) ** 2 + 0.5)
    assert diff.estimate == pytest.approx(53 / 18 - 3)
    assert diff.upper == pytest.approx(53 / 18 - 3 + Z95 * se)
    assert diff.n == 8


# ---------------------------------------------------------------------------
# Log-rank
# ---------------------------------------------------------------------------


def test_logrank_by_hand():
    """Group a exits at 1 and 3, group b at 2 and is censored at 4.
    t=1: n=(2,2), d=1: E_a = 1/2, V = 1*3/3 * 1/2 * 1/2 = 1/4
    t=2: n=(1,2), d=1: E_a = 1/3, V = 1*2/2 * 1/3 * 2/3 = 2/9
    t=3: n=(1,1), d=1: E_a = 1/2, V = 1/4
    O_a - E_a = 2 - 4/3 = 2/3; V = 1/4 + 2/9 + 1/4 = 13/18; chisq = (4/9) / (13/18) = 8/13."""
    result = logrank(None, [1, 3, 2, 4], [1, 1, 1, 0], ["a", "a", "b", "b"])
    assert result.statistic == pytest.approx(8 / 13)
    assert result.df == 1
    table = logrank_observed_expected(None, [1, 3, 2, 4], [1, 1, 1, 0], ["a", "a", "b", "b"])
    np.testing.assert_allclose(table["expected"], [4 / 3, 5 / 3])


def test_stratified_logrank_sums_over_strata():
    """Stratified test: observed - expected and variance are summed over strata
    (R survdiff with strata()).  Per stratum, V_s = (O - E)_s^2 / chisq_s."""
    rng = np.random.default_rng(3)
    n = 200
    stop = rng.exponential(10, n).round(1) + 0.1
    event = rng.integers(0, 2, n)
    group = rng.integers(0, 2, n)
    strata = rng.integers(0, 3, n)
    start = np.where(rng.random(n) < 0.3, stop * 0.5, 0.0)  # some delayed entries
    deviation, variance = 0.0, 0.0
    for s in range(3):
        rows = strata == s
        oe = logrank_observed_expected(start[rows], stop[rows], event[rows], group[rows])
        dev = oe["observed"].iloc[1] - oe["expected"].iloc[1]
        deviation += dev
        variance += dev**2 / logrank(start[rows], stop[rows], event[rows], group[rows]).statistic
    stratified = logrank(start, stop, event, group, strata=strata)
    assert stratified.statistic == pytest.approx(deviation**2 / variance)
    one_stratum = logrank(start, stop, event, group, strata=np.ones(n))
    assert one_stratum.statistic == pytest.approx(logrank(start, stop, event, group).statistic)


def test_logrank_three_groups_has_two_df():
    rng = np.random.default_rng(5)
    result = logrank(None, rng.integers(1, 20, 60), rng.integers(0, 2, 60), rng.integers(0, 3, 60))
    assert result.df == 2 and 0 <= result.p <= 1


# ---------------------------------------------------------------------------
# Cox model bookkeeping and the PH test
# ---------------------------------------------------------------------------


def test_cox_result_shapes_and_likelihood_ratio():
    rng = np.random.default_rng(17)
    n = 150
    x = rng.normal(size=n)
    time = rng.exponential(np.exp(-0.5 * x)).round(2) + 0.01
    event = (rng.random(n) < 0.8).astype(int)
    fit = fit_cox(None, time, event, pd.DataFrame({"x": x, "z": rng.normal(size=n)}))
    assert list(fit.summary_.columns) == [
        "covariate", "coef", "hazard_ratio", "se", "lower_0.95", "upper_0.95", "z", "p",
    ]
    lr = fit.likelihood_ratio_test()
    assert lr.statistic == pytest.approx(2 * (fit.loglik_ - fit.loglik_null_)) and lr.df == 2
    hr = fit.hazard_ratio("x")
    assert hr.lower < hr.estimate < hr.upper and hr.n == n and hr.events == int(event.sum())
    assert set(hr.to_dict()) == {"estimate", "lower", "upper", "p"}
    with pytest.raises(SurvivalDataError, match="name"):
        fit.hazard_ratio("nope")


def test_ph_test_with_strata_and_grouped_terms():
    """A joint term test has df = number of its columns; the table ends with GLOBAL."""
    rng = np.random.default_rng(23)
    n = 300
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 2, n), "c": rng.integers(0, 2, n)})
    time = rng.exponential(np.exp(-0.3 * X["a"])).round(2) + 0.01
    event = (rng.random(n) < 0.7).astype(int)
    strata = rng.integers(0, 2, n)
    fit = fit_cox(None, time, event, X, strata=strata)
    table = ph_test(fit, terms={"a": ["a"], "bc": ["b", "c"]})
    assert table["term"].tolist() == ["a", "bc", "GLOBAL"]
    assert table["df"].tolist() == [1, 2, 3]
    assert ((table["p"] >= 0) & (table["p"] <= 1)).all()
    residuals = scaled_schoenfeld(fit)
    assert len(residuals) == event.sum()
    assert {"time", "transformed_time", "stratum", "a", "b", "c"} <= set(residuals.columns)
    assert residuals[["a", "b", "c"]].notna().all().all()


def test_cox_with_an_infinite_coefficient_is_not_estimable():
    """Monotone likelihood: every x=1 row exits before any x=0 row, so the MLE of beta is
    +infinity (R warns and prints a huge coefficient); we refuse rather than report it."""
    with pytest.raises(EstimationError, match="^the model could not be estimated: too few exits to tell the groups apart"):
        fit_cox(None, [1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 1, 0, 0, 0, 0], pd.DataFrame({"x": [1, 1, 1, 1, 0, 0, 0, 0]}))


def test_cox_without_events_is_not_estimable():
    with pytest.raises(EstimationError, match="event"):
        fit_cox(None, [1, 2, 3], [0, 0, 0], pd.DataFrame({"x": [0, 1, 0]}))


# ---------------------------------------------------------------------------
# Competing risks
# ---------------------------------------------------------------------------


def test_cumulative_incidences_add_up_to_all_cause_failure():
    """Aalen-Johansen: sum_j CIF_j(t) = 1 - S_all(t), with delayed entries too."""
    rng = np.random.default_rng(29)
    n = 150
    stop = rng.integers(1, 40, n).astype(float)
    start = np.where(rng.random(n) < 0.3, np.floor(stop / 2), 0.0)
    cause = rng.choice([0, 1, 2, 3], n)
    tables = cumulative_incidence(start, stop, cause)
    total = sum(table["cif"].to_numpy() for table in tables.values())
    km = KaplanMeier().fit(start, stop, (cause > 0).astype(int)).table_
    np.testing.assert_allclose(total, 1 - km["survival"].to_numpy())
    assert set(tables) == {1, 2, 3}


def test_cumulative_incidence_without_censoring_is_a_proportion():
    """No censoring: CIF_j(t) = (# cause-j exits by t) / n and its delta-method variance
    reduces to the binomial F(1 - F) / n.  Ten people, causes 1,2,1,1,2,2,1,2,1,1 at 1..10."""
    causes = [1, 2, 1, 1, 2, 2, 1, 2, 1, 1]
    table = cumulative_incidence(None, np.arange(1, 11), causes)[1].set_index("time")
    f = table.loc[5, "cif"]
    assert f == pytest.approx(3 / 10)
    assert table.loc[5, "std_err"] == pytest.approx(math.sqrt(0.3 * 0.7 / 10))
    read = cumulative_incidence_at(table.reset_index(), 5.5)
    assert read.estimate == pytest.approx(0.3) and read.lower < 0.3 < read.upper


def test_a_cumulative_incidence_a_hair_below_one_has_the_widest_interval_without_a_warning():
    """The log-log interval's power exp(z se / (F log F)) is 0 when F is a rounding step below 1 (log F about
    -1e-16): its lower end F ** (1 / 0) is 0 and its upper end 1, said without a division-by-zero warning (the
    suite turns warnings into errors, as a page would fail on one)."""
    from analytics.estimation.competing import _loglog_ci

    cif = np.array([0.3, 1 - 2 ** -52])
    lower, upper = _loglog_ci(cif, np.array([0.1, 0.1]), 0.95)
    assert lower[1] == 0.0 and upper[1] == pytest.approx(1.0)
    assert 0 < lower[0] < 0.3 < upper[0] < 1


# ---------------------------------------------------------------------------
# Result objects
# ---------------------------------------------------------------------------


def test_result_objects_serialise():
    assert Estimate(0.5, math.nan, 0.7, n=3).to_dict() == {"estimate": 0.5, "lower": None, "upper": 0.7}
    assert Estimate(0.5, 0.4, 0.7, n=30).as_row("retention") == {
        "label": "retention", "estimate": 0.5, "lower": 0.4, "upper": 0.7, "level": 0.95, "n": 30,
    }
    # a table row counts no group of 1-4 (privacy): the n of 3 people, 2 events, is blank
    assert Estimate(0.5, 0.4, 0.7, n=3).as_row("retention")["n"] is None
    row = HazardRatio(0.7, 0.5, 0.9, 0.01, n=3, events=2).as_row("landmark")
    assert row["n"] is None and row["events"] is None
    assert HazardRatio(0.7, 0.5, 0.9, 0.01).to_dict() == {"estimate": 0.7, "lower": 0.5, "upper": 0.9, "p": 0.01}
    assert TestResult(10.3, 1, 0.0013, "log-rank").to_dict()["statistic"] == 10.3


# ---------------------------------------------------------------------------
# Bad inputs: typed errors that name the parameter
# ---------------------------------------------------------------------------

BAD_ROWS = [
    pytest.param([], [], [], "stop", id="empty"),
    pytest.param([0, 0], [1, np.nan], [1, 0], "stop", id="nan"),
    pytest.param([0, 0], [1, np.inf], [1, 0], "stop", id="inf"),
    pytest.param([0, 3], [1, 3], [1, 0], "stop must be greater than start", id="stop<=start"),
    pytest.param([-1, 0], [1, 2], [1, 0], "start must be >= 0", id="negative"),
    pytest.param([0, 0, 0], [1, 2], [1, 0], "same length", id="mismatched-lengths"),
    pytest.param([0, 0], [1, 2], [1, 2], "event must be 0 or 1", id="event-not-binary"),
    pytest.param([0, 0], ["a", "b"], [1, 0], "stop must be numeric", id="text"),
]


@pytest.mark.parametrize("start, stop, event, message", BAD_ROWS)
def test_kaplan_meier_rejects_bad_rows(start, stop, event, message):
    with pytest.raises(SurvivalDataError, match=message):
        KaplanMeier().fit(start, stop, event)


@pytest.mark.parametrize("start, stop, event, message", BAD_ROWS)
def test_logrank_rejects_bad_rows(start, stop, event, message):
    with pytest.raises(SurvivalDataError, match=message):
        logrank(start, stop, event, group=[0, 1][: len(stop)] or [])


@pytest.mark.parametrize("start, stop, event, message", BAD_ROWS)
def test_cox_rejects_bad_rows(start, stop, event, message):
    with pytest.raises(SurvivalDataError, match=message):
        fit_cox(start, stop, event, pd.DataFrame({"x": np.arange(len(stop), dtype=float)}))


@pytest.mark.parametrize(
    "start, stop, cause, message",
    [
        pytest.param([], [], [], "stop", id="empty"),
        pytest.param([0, 0], [1, np.nan], [1, 0], "stop", id="nan"),
        pytest.param([0, 3], [1, 3], [1, 0], "stop must be greater than start", id="stop<=start"),
        pytest.param([-1, 0], [1, 2], [1, 0], "start must be >= 0", id="negative"),
        pytest.param([0, 0], [1, 2], [1], "same length", id="mismatched-lengths"),
        pytest.param([0, 0], [1, 2], [1, -1], "cause", id="negative-cause"),
        pytest.param([0, 0], [1, 2], [1, 0.5], "cause", id="fractional-cause"),
    ],
)
def test_cumulative_incidence_rejects_bad_rows(start, stop, cause, message):
    with pytest.raises(SurvivalDataError, match=message):
        cumulative_incidence(start, stop, cause)


@pytest.mark.parametrize(
    "call, message",
    [
        pytest.param(lambda: KaplanMeier(level=1.5), "level", id="level>1"),
        pytest.param(lambda: KaplanMeier(level=None), "level", id="level-None"),
        pytest.param(lambda: KaplanMeier(conf_type="arcsin"), "conf_type", id="conf_type"),
        pytest.param(lambda: KaplanMeier().fit(None, [1, 2], [1, 0]).rmst(-1), "tau", id="tau-negative"),
        pytest.param(lambda: KaplanMeier().fit(None, [1, 2], [1, 0]).survival_at(np.nan), "t", id="t-nan"),
        pytest.param(lambda: logrank(None, [1, 2], [1, 0], [0, 0]), "group", id="one-group"),
        pytest.param(lambda: logrank(None, [1, 2], [1, 0], [0, None]), "group", id="group-missing"),
        pytest.param(lambda: logrank(None, [1, 2], [1, 0], [0, 1], strata=[0]), "strata", id="strata-length"),
        pytest.param(lambda: fit_cox(None, [1, 2], [1, 0], [[0], [1]]), "X", id="X-not-frame"),
        pytest.param(lambda: fit_cox(None, [1, 2], [1, 0], pd.DataFrame({"x": [1, 1]})), "constant", id="X-constant"),
        pytest.param(lambda: fit_cox(None, [1, 2], [1, 0], pd.DataFrame({"x": [1, np.nan]})), "X column", id="X-nan"),
        pytest.param(lambda: cumulative_incidence(None, [1, 2], [1, 0], causes=[0]), "causes", id="causes-zero"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_the_parameter(call, message):
    with pytest.raises(SurvivalDataError, match=message) as caught:
        call()
    assert isinstance(caught.value, ValueError)
