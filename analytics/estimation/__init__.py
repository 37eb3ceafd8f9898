"""Survival estimation: results (results), Kaplan-Meier and the log-rank test (km), cumulative incidence with
competing causes (competing), Cox models (cox, with Efron's fit in efron, columns held by pattern in patterns,
work kept between models in kept, proportional-hazards checks in zph), and on top of them the follow-up
(followup), design matrices (design), the three models (models), the effect while mentored and after mentoring
ended (phases), promotions and internal moves from a job history (outcomes), curves and landmarks (curves),
subgroup effects (subgroups), each person's risk (risks), the E-value (evalue) and
the target trial (trial).

May use: common, words, intake, store.
"""
