"""Production settings, checked in a fresh process as an operator would start it."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7!Qm2#vR9@pL4$wK8^nT3&jH6*zB1(cF5)dG0_sY-eU+aI=oP~",
    "ALLOWED_HOSTS": "tickets.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DRAMATIQ_BROKER_URL": "",  # empty means unset: the broker follows REDIS_URL
}


def _manage(*args, **env):
    # Only the suite needs DJANGO_ALLOW_ASYNC_UNSAFE (browser tests); an operator never sets it.
    unset = {*PRODUCTION_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = {**PRODUCTION_ENV, "STATIC_ROOT": str(tmp_path)}
    collected = _manage("collectstatic", "--noinput", **env)
    assert collected.returncode == 0, collected.stdout + collected.stderr

    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_collectstatic(tmp_path):
    """Every HTML page would be a 500 (missing manifest entry): the deploy check must say so."""
    result = _manage("check", "--deploy", **PRODUCTION_ENV, STATIC_ROOT=str(tmp_path))

    assert result.returncode != 0
    assert "tixxety.E001" in result.stderr
    assert "no staticfiles.json in STATIC_ROOT" in result.stderr


def test_production_refuses_the_development_secret_key():
    env = {**PRODUCTION_ENV}
    del env["SECRET_KEY"]

    result = _manage("check", **env)

    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr


def test_deploy_check_warns_about_the_in_process_broker():
    env = {**PRODUCTION_ENV, "REDIS_URL": ""}

    result = _manage("check", "--deploy", **env)

    assert "tixxety.W001" in result.stdout + result.stderr


def test_deploy_check_warns_about_rate_limits_counted_per_process():
    result = _manage("check", "--deploy", **{**PRODUCTION_ENV, "REDIS_URL": ""})

    assert "tixxety.W002" in result.stdout + result.stderr
    assert "Set REDIS_URL so every web process shares one count." in result.stdout + result.stderr


def test_workers_look_at_idle_queues_ten_times_a_second_unless_the_operator_says_otherwise():
    show = "import os, dramatiq.worker as w; print(os.environ['dramatiq_worker_timeout'], w.WORKER_TIMEOUT)"
    environment = {k: v for k, v in os.environ.items() if k != "dramatiq_worker_timeout"}

    default = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    chosen = _manage("shell", "-c", show, dramatiq_worker_timeout="250")

    # rundramatiq execs dramatiq with this environment, so its workers get the same value
    assert default.stdout.split()[-2:] == ["100", "100"], default.stderr
    assert chosen.stdout.split()[-2:] == ["250", "250"], chosen.stderr
