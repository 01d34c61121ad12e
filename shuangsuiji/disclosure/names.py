"""SQLite: the published results' entity names indexed by character bigram in an FTS5 table.

A name search is a substring search (`LIKE '%…%'`), mostly by a two-character 字号. PostgreSQL answers it from
the GIN index of migration 0003; SQLite has no such index and scanned all 10^6 results for a rare name (~200 ms
a search, benchmarks/bench_portal.py). Here each name is stored in FTS5 as its overlapping bigrams in order,
each bigram one ASCII token (the hex of its UTF-8; ASCII letters lower-cased first, as SQLite's LIKE ignores
their case), so the phrase of a query's bigrams matches exactly the names that contain the query. FTS5 walks
its matches newest first and stops at a page, so a search reads a page's worth of rows, common name or rare.

Triggers keep the index (migration 0004) whatever inserts, corrects or deletes a result; they call
`ssj_name_tokens`, registered on every SQLite connection (`register`). Without FTS5 in the local SQLite the
migration leaves the index out and the search scans as before (`available()`).
"""

from __future__ import annotations

from typing import Any

TABLE = "disclosure_resultname"
FUNCTION = "ssj_name_tokens"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_available: dict[str, bool] = {}


def tokens(name: str | None) -> str:
    """The FTS5 text of a name: its bigrams in order, each as the hex of its UTF-8, space-separated."""
    if not name:
        return ""
    folded = name.translate(_ASCII_LOWER)
    return " ".join(folded[i : i + 2].encode().hex() for i in range(len(folded) - 1))


def phrase(query: str) -> str:
    """The FTS5 query for names containing `query` (two characters or more)."""
    return f'"{tokens(query)}"'


def register(connection: Any) -> None:
    """Make `ssj_name_tokens` known to a SQLite connection (the triggers call it)."""
    connection.create_function(FUNCTION, 1, tokens, deterministic=True)


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        register(connection.connection)


def available(connection: Any) -> bool:
    """Whether this database has the index (SQLite with FTS5, migrated); asked once per process."""
    if connection.vendor != "sqlite":
        return False
    if connection.alias not in _available:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [TABLE])
            _available[connection.alias] = cursor.fetchone() is not None
    return _available[connection.alias]


# Literal SQL (TABLE and FUNCTION spelled out): these run as migration 0004 and must not change with the code.
CREATE = [
    "CREATE VIRTUAL TABLE disclosure_resultname USING fts5(tokens, content='', tokenize='ascii', columnsize=0)",
    "INSERT INTO disclosure_resultname (rowid, tokens) "
    "SELECT id, ssj_name_tokens(entity_name) FROM disclosure_publishedresult",
    """CREATE TRIGGER disclosure_resultname_insert AFTER INSERT ON disclosure_publishedresult BEGIN
    INSERT INTO disclosure_resultname (rowid, tokens) VALUES (new.id, ssj_name_tokens(new.entity_name));
    END""",
    """CREATE TRIGGER disclosure_resultname_delete AFTER DELETE ON disclosure_publishedresult BEGIN
    INSERT INTO disclosure_resultname (disclosure_resultname, rowid, tokens)
    VALUES ('delete', old.id, ssj_name_tokens(old.entity_name));
    END""",
    """CREATE TRIGGER disclosure_resultname_update AFTER UPDATE OF id, entity_name ON disclosure_publishedresult
    BEGIN
    INSERT INTO disclosure_resultname (disclosure_resultname, rowid, tokens)
    VALUES ('delete', old.id, ssj_name_tokens(old.entity_name));
    INSERT INTO disclosure_resultname (rowid, tokens) VALUES (new.id, ssj_name_tokens(new.entity_name));
    END""",
]
DROP = [
    "DROP TRIGGER IF EXISTS disclosure_resultname_insert",
    "DROP TRIGGER IF EXISTS disclosure_resultname_delete",
    "DROP TRIGGER IF EXISTS disclosure_resultname_update",
    "DROP TABLE IF EXISTS disclosure_resultname",
]
