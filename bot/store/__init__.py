"""Persistence for contracts, cases and outgoing notifications.

``Database`` is the handle, one repository module per aggregate (``contracts``,
``cases``, ``outbox``) the only place with SQL, ``records`` their shared mapping, ``migrate`` the
schema. Callers catch :class:`StoreUnavailable` to apologise to the customer.
"""

from bot.store.database import Database, StoreUnavailable

__all__ = ["Database", "StoreUnavailable"]
