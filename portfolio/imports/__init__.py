"""Imports of the portfolio's lists from .xlsx or .csv files: see engine (checking and writing) and kinds
(what each list reads)."""
