"""What leaves the engine for people: messages built from a headline and a business case (messages), the palette,
charts for the dashboard (figures) and as SVG (svg), the tables every export shares (tables), the deck (deck),
the one-pager (onepager) and report files and analysis data sets (report).

May use: common, words, intake, store, estimation, case.
"""
