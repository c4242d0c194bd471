"""ORM model of the financiers' risk policies (the rules are validated by `Policy`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from scfledger.db.models import Base, utcnow


class RiskPolicyRow(Base):
    """One financier's rules, stored as the JSON of a `scfledger.risk.policy.Policy`."""

    __tablename__ = "risk_policies"

    financier: Mapped[str] = mapped_column(String(42), primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
