from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """A router whose routes match with or without a trailing slash, and ids in ASCII digits.

    Mobile and SPA clients are not consistent about the slash, and a redirect
    cannot carry a POST body, so both spellings are served directly.

    Every object of the API has an integer id, so a lookup is ``[0-9]+``
    unless a viewset says otherwise. Not ``\\d+``: in Python it matches any
    Unicode digit and ``int()`` reads them, so ``/api/events/%D9%A1`` (an
    Arabic-Indic one) used to be event 1.
    """

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        value = getattr(viewset, "lookup_value_regex", "[0-9]+")
        return f"(?P<{lookup_prefix}{kwarg}>{value})"
