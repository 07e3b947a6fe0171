"""The first row of each key read so far in an import's file, to refuse a second row for the same
record ("The same record is already on row 12 of the file").

Kept in a private temporary SQLite database on disk, not in a dict: a dict of every key of a file of
100,000 clients held 15–19 MB, so an import's peak memory grew with the file. SQLite holds at most its
page cache (2 MB) in memory and writes the rest to a scratch file it removes when closed; asked once
per batch of rows, it costs ~0.1 s per 100,000 rows."""

import sqlite3

#: Keys per query: well under SQLite's limit of bound values.
CHUNK = 500


class FirstRows:
    def __init__(self):
        # "" is SQLite's temporary database: on disk (past its cache), private, deleted on close.
        self._db = sqlite3.connect("")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE first (key TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")

    def claim(self, rows: list[tuple[int, object]]) -> dict[int, int]:
        """Note each (row number, key) whose key no earlier row has; of the others, {row number: the
        first row with its key}, whether that row came in an earlier batch or in this one."""
        texts = [(number, repr(key)) for number, key in rows]  # repr: one text per key, tuples too
        earlier = {}
        unique = list({text for _, text in texts})
        for start in range(0, len(unique), CHUNK):
            part = unique[start : start + CHUNK]
            marks = ",".join("?" * len(part))
            earlier.update(self._db.execute(f"SELECT key, row FROM first WHERE key IN ({marks})", part))  # nosec B608
        again, new = {}, []
        for number, text in texts:
            if text in earlier:
                again[number] = earlier[text]
            else:
                earlier[text] = number
                new.append((text, number))
        self._db.executemany("INSERT INTO first (key, row) VALUES (?, ?)", new)
        return again

    def close(self) -> None:
        self._db.close()
