"""What every app's services share: the guard on the fields a service writes."""

from collections.abc import Iterable, Mapping


class NotWritable(TypeError):
    """A service was handed a field it does not write.

    A caller's bug, never bad input: APIs and forms pass only the fields their
    serializer or form validated, so this surfaces as a 500 and a log line,
    like any unexpected keyword argument would.
    """


def check_fields(fields: Mapping, allowed: Iterable[str], *, what: str) -> None:
    """Refuse ``fields`` that name anything outside ``allowed``, before a row is touched.

    Services take their fields as ``**kwargs`` and hand them to the ORM; this
    guard is what keeps, say, a ticket type's inventory counters out of reach
    of anything but the inventory code.
    """
    if unknown := set(fields) - set(allowed):
        raise NotWritable(f"{what} does not write {', '.join(sorted(unknown))}.")
