"""The regrettable event in words (docs/design.md, Definitions): how a regrettable exit was told, from the employee
file's own flag or from the top rating (queries.REGRETTABLE_BY), and who was followed for it. wording's leaving,
counting and staying words read FLAGGED; the Methods page, the briefing and the deck's method say NOTES.

May use: common.
"""
from __future__ import annotations

# told by the flag (with the top rating for a leaver it gives none): how people left, what was counted, who stayed
FLAGGED = {
    "flag": ("voluntarily in an exit the employee file flags as regrettable",
             "regrettable exits (voluntary, flagged regrettable in the employee file)",
             "had not left in a regrettable exit"),
    "flag_or_rating": ("voluntarily in an exit the employee file flags as regrettable or, where it gives no flag, "
                       "while rated at the top of the scale",
                       "regrettable exits (voluntary, flagged regrettable in the employee file or, without a flag, "
                       "by people rated at the top of the scale)",
                       "had not left in a regrettable exit"),
}

_FLAG = "Regrettable exits are read from the employee file's own flag (a column such as \"Regrettable Termination\")"
_EVERYONE = (" Everyone is followed, since the flag is written only when someone leaves and so cannot pick out "
             "beforehand who could leave regrettably; {other} ends that person's follow-up without counting.")
# the definition used and who was followed, by Snapshot.regrettable_by (nothing for another event: NOTES.get)
NOTES = {
    "flag": _FLAG + ": a voluntary exit it flags regrettable." + _EVERYONE.format(
        other="a voluntary exit it does not flag"),
    "flag_or_rating": _FLAG + (" where it gives one, and from the top rating where it does not: a voluntary exit "
                               "flagged regrettable, or, without a flag, by someone rated at the top of the scale."
                               ) + _EVERYONE.format(other="any other voluntary exit"),
    "rating": ("Regrettable exits are read from the top rating, as the employee file flags no exit as regrettable: "
               "a voluntary exit by someone rated at the top of the company's scale (the employee file's rating, a "
               "leaver's at exit). Only the people rated at the top are followed, the only ones who can leave so, "
               "and the adjusted model cannot use the rating that picked them."),
}
