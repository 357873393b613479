"""SQLite in the zero-setup mode: the server's threads and its in-process worker write at once.

Checked in a fresh process on a SQLite file, with the settings an operator
gets when no DATABASE_URL is set (the suite itself may run on PostgreSQL).
"""

import json
import os
import subprocess
import sys
import textwrap

from django.conf import settings

# Each thread runs read-then-write transactions on one row, the shape of an
# expiry racing a booking. A deferred transaction cannot wait for the write
# lock once it has read, so SQLite answers "database is locked" at once.
CONCURRENT_WRITERS = textwrap.dedent(
    """
    import json, threading
    import django

    django.setup()
    from django.db import OperationalError, connection, transaction

    THREADS, TRANSACTIONS = 4, 150
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE counter (id integer PRIMARY KEY, n integer)")
        cursor.execute("INSERT INTO counter VALUES (1, 0)")
    connection.close()
    errors = []
    start = threading.Barrier(THREADS)

    def write():
        start.wait()
        try:
            for _ in range(TRANSACTIONS):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT n FROM counter WHERE id = 1")
                    (n,) = cursor.fetchone()
                    cursor.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
        except OperationalError as error:
            errors.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM counter WHERE id = 1")
        (total,) = cursor.fetchone()
        cursor.execute("PRAGMA journal_mode")
        (journal_mode,) = cursor.fetchone()
    print(json.dumps({"errors": errors, "total": total, "journal_mode": journal_mode}))
    """
)


def test_sqlite_writers_in_threads_wait_for_each_other_instead_of_failing(tmp_path):
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("DJANGO", "DRAMATIQ"))
    }
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'zero-setup.sqlite3'}",
        REDIS_URL="",
        DJANGO_SETTINGS_MODULE="tixxety.settings",
    )

    result = subprocess.run(
        [sys.executable, "-c", CONCURRENT_WRITERS],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["errors"] == []
    assert outcome["total"] == 4 * 150  # BEGIN IMMEDIATE serializes them: no update is lost either
    assert outcome["journal_mode"] == "wal"
