"""Retention analytics engine: pure Python, never imports streamlit."""
import os

# The matrices here are small (rows x a few dozen covariates): threaded BLAS only adds
# contention, which stalled fits tenfold on a busy 2-core machine. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
