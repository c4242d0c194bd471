"""People inside each participant: users, sessions, API keys, maker-checker, the audit trail."""
