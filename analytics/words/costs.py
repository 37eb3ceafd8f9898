"""Where each default of the fully loaded cost and the money's time comes from, in words (business.py's sources).

Each is an assumption, said as one: either a published figure with its source, or plainly one to set.
"""
from __future__ import annotations

MENTOR_HOURS_ASSUMED = "assumption to set: about two one-hour meetings a month"
MENTEE_HOURS_ASSUMED = MENTOR_HOURS_ASSUMED  # the same meetings, from the mentee's side
# policy.WORK_HOURS_PER_YEAR and LOADED_COST_FACTOR: benefits are about 30% of U.S. employers' compensation cost
# (BLS, Employer Costs for Employee Compensation), so a loaded hour is the salary's hour / 0.7
HOURLY_FROM_SALARY = "assumption: salary / 2,080 h x 1.4 (benefits ~30% of pay costs, BLS)"
DISCOUNT_ASSUMED = "assumption to set: your finance team's rate"
CURRENCY_ASSUMED = "assumption: no currency in the data or settings"
