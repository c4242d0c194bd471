"""Risk: indicators of financing requests, financier policies and portfolio reports."""
