"""SQLite with statements counted by ``tixxety.db_backends``."""

from django.db.backends.sqlite3 import base
from django_prometheus.db.backends.sqlite3 import base as prometheus_base

from tixxety.db_backends import counting_cursor_class

DatabaseFeatures = prometheus_base.DatabaseFeatures


class DatabaseWrapper(prometheus_base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(
            factory=counting_cursor_class(base.SQLiteCursorWrapper, self.alias, self.vendor)
        )
