"""The business case and its headline: the arithmetic of money (business), where to extend mentoring next
(where_next), and the headline every output is built from (summary).

May use: common, words, intake, store, estimation.
"""
