"""Whether ``collectstatic`` has run for the manifest storage.

With a manifest storage (WhiteNoise's in production) a template that names
an asset missing from ``staticfiles.json`` raises, so every HTML page is a
500 while the API, and a health check that looks only at dependencies, stay
fine. The deploy check and ``/healthz`` both ask ``static_files_problem``.
"""

import functools

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage


def static_files_problem() -> str | None:
    """What is wrong with the collected static files, or None (also when no manifest is read)."""
    storage = staticfiles_storage
    if settings.DEBUG or not isinstance(storage, ManifestFilesMixin):
        # With DEBUG on the manifest storage links the unhashed names (`make run` needs no collectstatic).
        return None
    manifest = storage.manifest_name
    if storage.read_manifest() is None:
        return f"no {manifest} in STATIC_ROOT"
    hashed_files, _ = storage.load_manifest()
    if unlisted := sorted(_source_files() - hashed_files.keys()):
        return f"{len(unlisted)} static files missing from {manifest}, e.g. {unlisted[0]}"
    if absent := sorted(name for name in set(hashed_files.values()) if not storage.exists(name)):
        return f"{len(absent)} files listed in {manifest} missing from STATIC_ROOT, e.g. {absent[0]}"
    return None


@functools.cache
def static_files_problem_at_start() -> str | None:
    """``static_files_problem`` once per process: the storage reads its manifest once, at start, too."""
    return static_files_problem()


def _source_files() -> set[str]:
    ignore_patterns = apps.get_app_config("staticfiles").ignore_patterns
    return {
        path.replace("\\", "/")
        for finder in finders.get_finders()
        for path, _storage in finder.list(ignore_patterns)
    }
