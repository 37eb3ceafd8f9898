"""Retention analytics engine: pure Python, never imports streamlit."""
