"""Imports every package's tables, so that the metadata Alembic compares against is complete."""

from app.accounts import models as accounts_models
from app.audit import models as audit_models
from app.feed import models as feed_models
from app.notify import models as notify_models
from app.record import models as record_models
from app.retention import models as retention_models

__all__ = ["accounts_models", "audit_models", "feed_models", "notify_models",
           "record_models", "retention_models"]
