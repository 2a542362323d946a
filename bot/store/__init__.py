"""Persistence for contracts, cases and outgoing notifications.

``Database`` is the handle, ``repositories`` the only place with SQL, ``migrate`` the
schema. Callers catch :class:`StoreUnavailable` to apologise to the customer.
"""

from bot.store.database import Database, StoreUnavailable

__all__ = ["Database", "StoreUnavailable"]
