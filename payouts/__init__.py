"""Creators get paid: connected accounts, fees, the ledger, transfers and statements."""
