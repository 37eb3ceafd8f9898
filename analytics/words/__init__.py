"""What the figures are called and how they are said: one decision per reading of the estimates (verdict: fewer,
more or no clear effect; overstates, understates or agrees; gain or loss) and the words, number formats and
labels every output uses (wording), how long the business case credits mentoring's effect, in words (lasting), and
how a regrettable exit was told, by the employee file's flag or the top rating, and who was followed (regrettable),
what a load says about how its files were read and where a column is mapped by hand (loading), and where each
default of the business case's full cost comes from (costs).

May use: common.
"""
