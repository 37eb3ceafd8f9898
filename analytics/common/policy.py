"""Every threshold the product applies, each with its reason, and the privacy rule for counts.

Nothing else in the package or the dashboard writes one of these numbers down; docs/design.md
gives the rules in words.
"""
from __future__ import annotations

# ---------------------------------------------------------------- time

DAYS_PER_YEAR = 365.25        # a mean year, for horizons given in years
DAYS_PER_MONTH = DAYS_PER_YEAR / 12  # 30.4375: charts show months since hire
HORIZON_DAYS = 365            # "still here after a year": the retention figure leadership asks for
TAU_DAYS = 730                # restricted mean tenure over the first two years, where most follow-up is
CURVE_MONTHS = 60             # curves and their tables stop at five years: few are followed longer
LANDMARK_MONTHS = (3, 6, 12)  # the landmark checks on the Methods page
LANDMARK_DEFAULT_MONTHS = 6   # a single landmark: late enough that many were mentored by then
TAIL_DAYS = 365               # past the longest tenure seen, the exit rate is that of its last year

# ---------------------------------------------------------------- privacy

MIN_GROUP_SIZE = 5            # a group smaller than this is never shown or counted, anywhere
MIN_EFFECT_PEOPLE = 20        # a hazard ratio (the headline's, a group's, a segment's own) needs this many people
                              # mentored and this many not, in its group; how many of them left never decides
                              # whether it is shown: that would hide the groups where mentoring kept the most
                              # people (fewer exits), and show the rest, so what is shown would lean to no effect
MIN_MODEL_EXITS = 10          # the exits other than the event join each person's risk as a model of their own
                              # only with this many (fewer: left out, which errs toward more exits)
FILTERED_ROUNDING = 5         # a filtered group's total is shown to the nearest 5: two filters' totals
                              # then cannot be subtracted to single out 1-4 people
ROUNDED_SALARY = 1000         # ... and its average salary to the nearest 1,000: the pay total behind 620 people's
                              # average is then known to within 310,000 either way, so subtracting two gives no one's pay
ROUNDED_SHARE_DIGITS = 2      # ... and its shares (the share ever mentored) to whole percents in the JSON

# ---------------------------------------------------------------- the models

SMALL_LEVEL = 20              # categorical levels with fewer people are pooled, for model stability
MAX_MISSING_SHARE = 0.5       # a covariate missing for more of the people than this is dropped
MAX_LOG_SE = 5.0              # an effect known only to within a factor of e^10 either way is not an estimate
COMMON_OUTCOME = 0.15         # more exits than this by the end: a hazard ratio is converted for the E-value
SIGNIFICANCE = 0.05           # the level at which a model check flags a term
SAME_FIGURE = 0.05            # two hazard ratios within 5% of each other (on the ratio) say the same: the naive
                              # figure then 'roughly agrees', and an adjustment that moves it less 'changed little'
MEETING_BANDS = ((0, 5), (6, 11), (12, None))  # the dose-response bands (meetings per mentee)
MANY_GROUPS = 6               # more groups than this on one chart is a tangle: the largest 5 and the rest pooled,
                              # each group in a chart of its own, or a ranked table (the Cohorts page)

# ---------------------------------------------------------------- the target trial (estimation/trial.py)

TRIAL_MIN_TENURE_DAYS = 90    # eligible to start mentoring in a month: at least this long in post on its first day
                              # (the demo's programme takes people from 90 days after hire)
TRIAL_HORIZONS = (12, 24, 36)  # months from the start (the end of its month) at which the risks are compared
TRIAL_CONTROLS_PER_STARTER = 10  # comparisons kept per starter, each with a chance in proportion to its odds of
                              # starting and weighted by its inverse: the range is then about as wide as with all
TRIAL_NONSTART_SAMPLE = 10    # months without a start kept per start to fit the starting model (its slopes are
                              # those of every month; the intercept is corrected for the sampling)
TRIAL_MOST_COMPARISONS = 60_000  # ... but no more comparisons than this in all (a company of 100,000 has some 25,000
                              # starters: their own number bounds the range's width by then, and each comparison is
                              # followed month by month in the models)
TRIAL_MOST_PERSON_MONTHS = 1_000_000  # months of people who never start while eligible, at most: beyond, a random
                              # share of those people is followed, each standing for 1 / share (everyone who starts is)
TRIAL_MOST_NONSTARTS = 100_000  # ... and no more months without a start than this to fit the starting model
TRIAL_SEED = 20240607         # the samples are drawn with this seed: the same data give the same figures

# ---------------------------------------------------------------- input plausibility

FIRST_YEAR, LAST_YEAR = 1900, 2100  # a date or birth year outside these is a placeholder or a typo
HIGH_DATE_YEAR = 9999         # the "high date" HR systems write for "no end date yet"
MAX_SALARY = 1e8              # an annual salary above this is a typo or a unit error
MAX_MEETINGS = 10_000         # sessions in one relationship
MAX_SET_ASIDE_SHARE = 0.05     # more rows of a file set aside than this: a warning no one can miss
MAX_UNCLEAR_REASON_SHARE = 0.20  # more exits than this with a reason read as "other" or none: a warning
MAX_MEANINGS_SHOWN = 60       # distinct reason or programme wordings editable on the Data page (most common)
HEADER_SEARCH_ROWS = 20       # a spreadsheet's header is looked for in its first rows (title rows above it)
MIN_BAD_CELLS_FOR_BAD_COLUMN = 2  # one odd cell is a bad row; a column where every value (of 2+) fails is a bad file

# ---------------------------------------------------------------- input bounds (checked before a file is parsed)

MAX_FILE_BYTES = 200_000_000  # a file's size: Streamlit's own upload limit; a million employees' CSV is about 80 MB
MAX_CELLS = 30_000_000        # rows x columns of a CSV or Parquet file: a million employees with 30 columns; more would
                              # take more memory than the 3 GB a million-employee load may use (docs/scaling.md)
MAX_SHEET_CELLS = 5_000_000   # cells of the Excel sheet read (its stated range and the cells it holds): openpyxl reads
                              # about 250,000 a second, so 20 s; a larger export is read far faster as CSV
MAX_UNPACKED_BYTES = 500_000_000  # an .xlsx unpacked (its zip's own directory says): 5 million cells at ~40 bytes of
                              # XML each, with room for the strings; a small file unpacking to more is a zip bomb
MAX_CELL_CHARS = 32_767       # characters in one cell: Excel's own limit, so no export writes longer; a longer one is a
                              # missing quotation mark that swallowed the rows after it, or not an HR export
MAX_LOGO_PIXELS = 25_000_000  # a logo's width x height (5,000 x 5,000), read from its header before it is decoded: a
                              # decoded pixel takes 4 bytes, and a slide shows a logo an inch high
MAX_CHANGED_SHOWN = 8         # values read as they show (invisible or look-alike characters) listed in the warning

# ---------------------------------------------------------------- the database

BUSY_WAIT_SECONDS = 30.0      # a second program waits this long for the database before saying it is busy
KEEP_LOADS = 5                # the data replaced by the last loads is kept, so an admin can go back
MAX_LOGO_BYTES = 2_000_000     # a logo for the slides; larger would bloat every deck downloaded
WAREHOUSE_CONNECT_SECONDS = 10  # a warehouse that does not answer by then is said to be unreachable
WAREHOUSE_TIMEOUT_SECONDS = 300  # a warehouse statement running longer is stopped on the server (and a read left
                                # idle in its transaction that long ends); RETENTION_WAREHOUSE_TIMEOUT sets another
WAREHOUSE_CLIENT_CHECK_SECONDS = 1  # how often the server checks that the reader is still there, so a stopped
                                    # CLI or dashboard leaves no query running (PostgreSQL 14 and later)
PROGRESS_AFTER_SECONDS = 2.0  # the CLI says what it is doing once a command has run this long
STATUS_AFTER_SECONDS = 0.5    # the dashboard shows what it is doing once a step has run this long
INPUTS_SETTLED_SECONDS = 0.3  # a download built at the click waits this long for a value typed just before it
SIDE_BY_SIDE_BYTES = 1_000_000_000  # models fitted side by side on the cores may take this much memory between them

# ---------------------------------------------------------------- the business case

COVERAGE_TARGET = 0.76        # default target share mentored: the share who say they want a mentor
WHERE_NEXT_ROWS = 10          # where to extend next: the best groups the page shows (summary --json has them all)
WHERE_NEXT_SHOWN = 5          # ... and the deck's slide, which must stay readable across a room
WHERE_NEXT_PAIR_MIN = 50      # a pair of characteristics (Sales and L2) ranked only with this many unmentored people
HORIZON_CHOICES_MONTHS = [6, 12, 24, 36]  # the Methods page's retention horizons: the first half-year to three years
RMST_CHOICES_MONTHS = [12, 24, 36, 60]    # its restricted-mean windows, up to the five years the curves show
REPLACEMENT_COST_PCT = 0.50   # the low end of Gallup's 0.5-2x salary
REPLACEMENT_COST_RANGE = (0.2, 2.0)  # 20-200% of salary: the range published estimates span
PROGRAMME_COST_PER_MENTEE = 1500.0   # a typical internal programme, per mentee per year
SENSITIVITY_REPLACEMENT_PCTS = (0.2, 0.5, 1.0, 1.5, 2.0)  # the sensitivity grid's rows: the published range
SENSITIVITY_COST_FACTORS = (0.5, 1.0, 1.5, 2.0)  # its columns: half to twice the programme's cost
FREE_PROGRAMME_COSTS = (0.0, 750.0, 1500.0, 2250.0, 3000.0)  # its columns when the programme is free
HORIZON_YEARS = 1             # the business case counts one year unless told otherwise
PROGRAMME_YEARS = 1.0         # a mentorship with no end date runs this long (and a new mentee's does)
HORIZON_YEARS_RANGE = (1, 3)  # beyond three years a constant exit rate is too strong an assumption
SALARY_IF_NOT_IN_DATA = 60_000  # the starting value of the salary input when the data has none
SCENARIO_STEPS = 11           # coverage scenarios: today's share to the target in ten steps
# The fully loaded cost of a mentee (the ROI Institute's, Phillips's, cost of a programme: its fee and the time of
# the people in it): the fee above, plus mentor and mentee hours a month at a loaded hourly cost.
MENTOR_HOURS_PER_MONTH = 2.0  # an assumption to set: about two one-hour meetings a month, the mentor's side
MENTEE_HOURS_PER_MONTH = 2.0  # an assumption to set: the same meetings, the mentee's side
WORK_HOURS_PER_YEAR = 2080    # 52 weeks of 40 hours: the usual divisor of an annual salary into an hourly rate
LOADED_COST_FACTOR = 1.4      # salary to total compensation: benefits are about 30% of U.S. employers' compensation
#                               cost (BLS, Employer Costs for Employee Compensation), so 1 / 0.7, rounded
DISCOUNT_RATE = 0.08          # an assumption to set: a common corporate cost of capital; use your finance team's rate
DISCOUNT_RATE_RANGE = (0.0, 0.3)
HOURS_RANGE = (0.0, 40.0)     # hours a month of one person's mentoring time
PER_NEW_MENTEES = 100         # the second question's unit: what 100 new mentees would return


def shown_count(n: int) -> int | None:
    """A count as it may be shown: None for a group of 1 to MIN_GROUP_SIZE - 1 people (privacy)."""
    return None if 0 < n < MIN_GROUP_SIZE else int(n)


def count_words(n: int | None) -> str:
    """'1,234', or 'fewer than 5' for a suppressed count (None or too small)."""
    shown = None if n is None else shown_count(n)
    return f"fewer than {MIN_GROUP_SIZE}" if shown is None else f"{shown:,}"


def shown_total(n: int, filtered: bool) -> int | None:
    """A group's total as it may be shown: everyone's exactly; a filtered group's to the nearest
    FILTERED_ROUNDING (never 0 for people who are there), or None under the minimum."""
    if shown_count(n) is None:
        return None
    if not filtered or n == 0:  # nobody is nobody, rounded or not
        return int(n)
    return max(FILTERED_ROUNDING, int(FILTERED_ROUNDING * round(n / FILTERED_ROUNDING)))


def shown_share(part: int, whole: int) -> float | None:
    """part / whole, unless either side of the split is a group too small to show."""
    if not whole or shown_count(part) is None or shown_count(whole - part) is None:
        return None
    return part / whole
