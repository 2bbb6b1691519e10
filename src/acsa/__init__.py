"""ACSA Ledger: signed, reconciled records of logistic support between allied forces."""

__version__ = "0.1.0"
