from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """A router whose routes match with or without a trailing slash.

    Mobile and SPA clients are not consistent about the slash, and a redirect
    cannot carry a POST body, so both spellings are served directly.
    """

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
