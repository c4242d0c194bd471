"""Pricing of financing offers: day counts, business-day calendars, offers and their
annualised cost, in exact integers and fractions (docs/money.md). No API, database or chain."""
