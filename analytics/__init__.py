"""Retention analytics engine: pure Python, never imports streamlit.

Packages by layer, lowest first; a package may use only those before it (docs/design.md, "The map"):
common, words, intake, store, estimation, case, outputs, surface."""
import os

# The matrices here are small (rows x a few dozen covariates): threaded BLAS only adds
# contention, which stalled fits tenfold on a busy 2-core machine. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
