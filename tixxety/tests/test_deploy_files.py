"""The production layout's files agree with the app: the proxy is the only way in."""

import re
import shutil
import subprocess

import pytest
import yaml
from django.conf import settings

from bench.slow_clients import NGINX_CONF, local_nginx_config

COMPOSE = settings.BASE_DIR / "docker-compose.yml"


@pytest.fixture(scope="module")
def services():
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_publishes_only_the_proxy(services):
    published = {name for name, service in services.items() if service.get("ports")}

    assert published == {"proxy"}
    assert services["proxy"]["volumes"] == ["./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"]


def test_compose_app_counts_the_proxy(services):
    assert services["web"]["environment"]["NUM_PROXIES"] == "1"


def test_compose_restarts_the_scheduler(services):
    assert services["scheduler"]["restart"] == "unless-stopped"


def test_nginx_body_limit_is_djangos():
    (limit,) = re.findall(r"client_max_body_size (\d+)k;", NGINX_CONF.read_text())

    assert int(limit) * 1024 == settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_nginx_accepts_the_config(tmp_path):
    nginx = shutil.which("nginx")
    if nginx is None:
        pytest.skip("needs nginx (apt-get install nginx-light)")
    config = tmp_path / "nginx.conf"
    config.write_text(local_nginx_config(upstream="127.0.0.1:8000", port=8080, workdir=str(tmp_path)))

    result = subprocess.run([nginx, "-t", "-c", str(config)], capture_output=True, text=True, timeout=20)

    assert result.returncode == 0, result.stderr
