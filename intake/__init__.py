"""Intake core: the order book, carton receipts, scan events and defects (no HTTP, no images)."""
