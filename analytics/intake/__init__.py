"""Data in: the data contract (schema), cell formats (formats), reading files and finding their header row
(reading), mapping headers to the contract (headers), checking every row and setting bad ones aside
(validation), a checked load ready to write (prepare), and the simulated demo company (demo). Nothing here
touches the database.

May use: common, words.
"""
