"""Without collectstatic the manifest storage makes every page a 500: the deploy check and /healthz say so."""

import pytest
from django.core.management import call_command

from tixxety.checks import check_static_files_collected
from tixxety.static_manifest import static_files_problem_at_start

pytestmark = pytest.mark.django_db

MANIFEST_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


@pytest.fixture
def manifest_storage(settings, tmp_path):
    """The production kind of storage, over an empty STATIC_ROOT and a source folder of our own."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "extra.css").write_text("body { color: black; }\n")
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, source]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    static_files_problem_at_start.cache_clear()
    yield source
    static_files_problem_at_start.cache_clear()


def error_messages():
    return [message.msg for message in check_static_files_collected(None)]


def test_deploy_check_fails_without_collectstatic(manifest_storage):
    (error,) = check_static_files_collected(None)

    assert error.id == "tixxety.E001"
    assert error.msg == "Static files are not collected: no staticfiles.json in STATIC_ROOT."


def test_deploy_check_passes_after_collectstatic(manifest_storage):
    call_command("collectstatic", "--noinput", verbosity=0)

    assert error_messages() == []


def test_deploy_check_names_an_asset_added_after_collectstatic(manifest_storage):
    call_command("collectstatic", "--noinput", verbosity=0)
    (manifest_storage / "new.js").write_text("// added after the build\n")

    assert error_messages() == [
        "Static files are not collected: 1 static files missing from staticfiles.json, e.g. new.js."
    ]


def test_deploy_check_names_a_collected_file_that_disappeared(manifest_storage, settings):
    call_command("collectstatic", "--noinput", verbosity=0)
    (hashed,) = (settings.STATIC_ROOT).glob("extra.*.css")
    hashed.unlink()

    (message,) = error_messages()
    assert f"missing from STATIC_ROOT, e.g. {hashed.name}" in message


def test_static_files_are_not_judged_with_debug_on(manifest_storage, settings, api_client):
    """With DEBUG the manifest storage links unhashed names: pages work without collectstatic."""
    settings.DEBUG = True

    assert error_messages() == []
    assert api_client.get("/healthz").json()["checks"]["static"] == "ok"


def test_deploy_check_is_silent_for_a_storage_without_manifest():
    # conftest's plain StaticFilesStorage, as in development.
    assert error_messages() == []


def test_healthz_503_names_static_files_without_collectstatic(api_client, manifest_storage):
    response = api_client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["detail"] == "Unavailable: static"
    assert body["checks"]["static"] == "error: no staticfiles.json in STATIC_ROOT"


def test_healthz_checks_static_files_once_per_process(api_client, manifest_storage):
    api_client.get("/healthz")
    call_command("collectstatic", "--noinput", verbosity=0)

    # Seen only by a new process, as the storage itself reads its manifest once.
    assert api_client.get("/healthz").json()["checks"]["static"].startswith("error:")
    static_files_problem_at_start.cache_clear()
    assert api_client.get("/healthz").json()["checks"]["static"] == "ok"
