"""The ground every layer stands on: thresholds and defaults with their reasons (policy), the product's errors
(errors), progress reporting (progress) and running work side by side (parallel).

May use: nothing else in the product.
"""
