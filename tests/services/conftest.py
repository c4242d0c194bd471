from tests.support.services import _migrated_sqlite, services

__all__ = ["_migrated_sqlite", "services"]
