"""PostgreSQL (psycopg 3) with statements counted by ``tixxety.db_backends``."""

from django.db.backends.postgresql import base
from django_prometheus.db.backends.postgresql import base as prometheus_base

from tixxety.db_backends import counting_cursor_class


class DatabaseWrapper(prometheus_base.DatabaseWrapper):
    def get_connection_params(self):
        params = base.DatabaseWrapper.get_connection_params(self)
        params["cursor_factory"] = counting_cursor_class(params["cursor_factory"], self.alias, self.vendor)
        return params
