"""People inside each institution: users, their credentials (passwords, second factors,
sessions, API keys), maker-checker and the audit trail (docs/people.md)."""
