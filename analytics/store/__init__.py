"""The DuckDB store: the connection and its schema (database), loads, undo and redo through kept states (loads),
loading from a PostgreSQL warehouse (warehouse), the read-side SQL every analysis starts from (queries), its
splits in numpy where SQL would be slower (splits), the person-months of the target trial (trials), and the cohort filter (cohorts). All the product's SQL is here.

May use: common, words, intake.
"""
