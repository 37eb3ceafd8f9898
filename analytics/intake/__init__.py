"""Data in: the data contract (schema), cell formats (formats), reading files and finding their header row
(reading), mapping headers to the contract (headers), the words of exports in German, French, Spanish,
Dutch, Italian and Portuguese (languages), checking every row and setting bad ones aside
(validation), the job history checked against the employees (history), a checked load ready to write (prepare),
a simulated company of fixed characteristics for the truth tests (demo), and a simulated company whose level, pay
and rating change, with its job history: the demo company (demo_changing). Nothing here touches the database.

May use: common, words.
"""
