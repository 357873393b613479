"""Signals sent once the transaction commits, for receivers that only notify.

A receiver of a ``Notification`` learns of a change that is already
permanent, so it may only enqueue work or bump a cache version, and one that
raises never fails the request that sent it: the error is logged and counted
(``tixxety_after_commit_failures``) and the other receivers still run. A
rolled-back transaction sends nothing.
"""

from django.dispatch import Signal

from tixxety.jobs import run_after_commit


class Notification(Signal):
    """A signal sent once the transaction commits; its ``name`` labels failures in logs and metrics."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def send_on_commit(self, **kwargs) -> None:
        """Send to every receiver after commit (at once outside a transaction); never raise.

        Each receiver runs even if another raised; the first error is then
        raised to ``run_after_commit``, which logs and counts it.
        """

        def send() -> None:
            errors = [error for _, error in self.send_robust(**kwargs) if isinstance(error, Exception)]
            if errors:
                raise errors[0]

        run_after_commit(send, what=f"signal {self.name}")
