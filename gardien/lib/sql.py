"""One INSERT of a model's row, its SQL prepared once per database.

For the write paths a visitor waits for (a consent proof, a contact message, the anti-spam
count): the ORM's ``save()`` compiles the statement on every call, which costs more than the
write itself. Here the statement is built once from the model's own fields, each value goes
through its field's own conversion for the database in use (dates, JSON, UUIDs, encryption),
and the table's constraints still apply::

    from gardien.lib.sql import Insert

    _ledger = Insert(ConsentRecord, ("consent_id", "recorded_at", ...))
    _ledger.execute((consent_id, now, ...))

Inside a caller's transaction the INSERT joins it; outside one it is its own transaction
(autocommit): no BEGIN/COMMIT round trips. With ``unique=`` a column under a unique
constraint, a row whose value is already there is skipped (``ON CONFLICT … DO NOTHING``, on
SQLite and PostgreSQL alike) and ``execute`` says whether the row was written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, cast

from django.db import connections, models, router

from gardien.lib.writers import one_writer

Converter = Callable[[Any], Any] | None

# Fields whose values the database driver takes as Python gives them.
_PLAIN = (
    models.BooleanField,
    models.CharField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.BigIntegerField,
)


class Insert:
    """An INSERT of ``columns`` (field names) of ``model``, prepared once per database."""

    def __init__(
        self, model: type[models.Model], columns: Sequence[str], unique: str | None = None
    ) -> None:
        self.model = model
        self.columns = tuple(columns)
        self.unique = unique
        self._prepared: dict[str, tuple[str, tuple[Converter, ...]]] = {}

    def _prepare(self, alias: str) -> tuple[str, tuple[Converter, ...]]:
        connection = connections[alias]
        quote_name = connection.ops.quote_name
        # Identifiers from the model, quoted by the backend; the values are parameters.
        fields = [self.model._meta.get_field(name) for name in self.columns]
        sql = (
            f"INSERT INTO {quote_name(self.model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote_name(cast('str', f.column)) for f in fields)}) "  # type: ignore[union-attr]
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        if self.unique is not None:
            column = self.model._meta.get_field(self.unique).column  # type: ignore[union-attr]
            sql += f" ON CONFLICT ({quote_name(cast('str', column))}) DO NOTHING"
        converters: list[Converter] = []
        for field in fields:
            if isinstance(field, models.DateTimeField):
                converters.append(connection.ops.adapt_datetimefield_value)
            elif isinstance(field, _PLAIN) and type(field).get_db_prep_save is (
                models.Field.get_db_prep_save
            ):
                converters.append(None)
            else:  # JSON, UUIDs, encrypted text…: the field's own conversion
                converters.append(partial(field.get_db_prep_save, connection=connection))  # type: ignore[union-attr]
        self._prepared[alias] = (sql, tuple(converters))
        return self._prepared[alias]

    def execute(self, values: Sequence[Any]) -> bool:
        """Write the row; False when ``unique`` found its value already there."""
        alias = router.db_for_write(self.model)
        sql, converters = self._prepared.get(alias) or self._prepare(alias)
        params = [
            value if convert is None else convert(value)
            for convert, value in zip(converters, values, strict=True)
        ]
        db = connections[alias]
        # Outside a transaction, SQLite's writers take turns without its busy handler's sleeps.
        with one_writer(db), db.cursor() as cursor:
            cursor.execute(sql, params)
            return self.unique is None or bool(cursor.rowcount)
