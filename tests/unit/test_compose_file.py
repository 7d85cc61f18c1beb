"""docker-compose.yml cannot run here (no Docker engine): check it by construction."""

import importlib
import re
from pathlib import Path

import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = {name: s for name, s in SERVICES.items() if s.get("image") == "atsd-alerts:latest"}


def test_the_production_layout_has_every_process():
    expected = {"postgres", "redis", "selenium", "web", "listener", "notify", "beat", "migrate"}
    assert expected <= set(SERVICES)
    assert any(name.startswith("engine-") for name in SERVICES)


def test_every_manage_py_command_exists():
    commands = get_commands()
    for name, service in APP_SERVICES.items():
        argv = service["command"]
        if argv[:2] == ["python", "manage.py"]:
            assert argv[2] in commands, f"{name}: manage.py {argv[2]} does not exist"


def test_every_celery_command_names_our_app_and_a_known_queue():
    from django.conf import settings

    app = importlib.import_module("atsd_alerts.celery").app
    engine_queues = {f"engine.{p}" for p in range(2)}
    engines = 0
    for name, service in APP_SERVICES.items():
        argv = service["command"]
        if argv[0] != "celery":
            continue
        assert argv[1:3] == ["-A", "atsd_alerts"], name
        assert app.main == "atsd_alerts"
        if argv[3] == "worker":
            queue = argv[argv.index("-Q") + 1]
            assert queue in engine_queues | {"notify"}, f"{name}: unknown queue {queue}"
            if queue.startswith("engine."):
                engines += 1
                assert argv[argv.index("-c") + 1] == "1", "one consumer process per partition"
        else:
            assert argv[3] == "beat", name
    assert engines == int(APP_SERVICES["web"]["environment"]["ENGINE_PARTITIONS"])
    assert settings.ENGINE_PARTITIONS >= 1


def test_web_serves_our_wsgi_application_with_gunicorn():
    argv = SERVICES["web"]["command"]
    assert argv[0] == "gunicorn"
    module, _, attribute = argv[1].partition(".")
    assert getattr(importlib.import_module(argv[1]), "application", None) is not None
    assert module == "atsd_alerts"
    assert attribute == "wsgi"


def test_app_services_wait_for_healthy_database_and_broker():
    for name, service in APP_SERVICES.items():
        depends = service["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    for name in ("postgres", "redis", "selenium"):
        assert "healthcheck" in SERVICES[name], name


PULLED = {name: s for name, s in SERVICES.items() if "build" not in s}
# name:major.minor.patch[-build]; PostgreSQL (10 and later) numbers releases major.minor.
EXACT_TAG = re.compile(r"^(?P<name>[a-z0-9./-]+):\d+\.\d+(?P<patch>\.\d+)?(-[A-Za-z0-9.-]+)?$")


def pinned(image: str) -> bool:
    found = EXACT_TAG.match(image)
    return bool(found) and (found["patch"] is not None or found["name"] == "postgres")


def test_every_service_restarts_on_its_own():
    for name, service in SERVICES.items():
        # migrate is a one-shot: run again until it succeeds, then done.
        expected = "on-failure" if name == "migrate" else "unless-stopped"
        assert service.get("restart") == expected, name


def test_every_service_has_a_health_check():
    commands = get_commands()
    for name, service in SERVICES.items():
        check = service.get("healthcheck") or {}
        test = check.get("test")
        assert test, name
        assert test[0] in ("CMD", "CMD-SHELL"), name
        assert len(test) > 1, name
        argv = test[1:] if test[0] == "CMD" else test[1].split()
        if argv[:2] == ["python", "manage.py"]:
            assert argv[2] in commands, f"{name}: manage.py {argv[2]} does not exist"


def test_every_worker_health_check_pings_that_worker():
    for name, service in APP_SERVICES.items():
        argv = service["command"]
        if argv[:4] != ["celery", "-A", "atsd_alerts", "worker"]:
            continue
        node = argv[argv.index("-n") + 1].replace("%h", "$$HOSTNAME")
        assert service["healthcheck"]["test"] == [
            "CMD-SHELL",
            f"celery -A atsd_alerts inspect ping -d {node} --timeout 10",
        ], name


def test_every_pulled_image_and_the_base_image_is_pinned_to_an_exact_version():
    for name, service in PULLED.items():
        assert pinned(service["image"]), f"{name}: {service['image']} is not pinned"
    [base] = re.findall(r"^FROM (\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert pinned(base), base


def test_redis_keeps_an_append_only_file_on_a_volume_and_never_evicts():
    redis = SERVICES["redis"]
    argv = redis["command"]
    options = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert argv[0] == "redis-server"
    assert options == {
        "--appendonly": "yes",
        "--appendfsync": "everysec",
        "--maxmemory-policy": "noeviction",
    }
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_web_loads_the_application_once_so_a_refusal_stops_it():
    assert "--preload" in SERVICES["web"]["command"]


def test_the_tcp_listener_is_published_on_loopback_unless_opted_in():
    listener = SERVICES["listener"]
    assert listener["ports"] == ["${TCP_PUBLISH:-127.0.0.1}:8081:8081"]
    [subnet] = [c["subnet"] for c in COMPOSE["networks"]["default"]["ipam"]["config"]]
    allowed = listener["environment"]["TCP_ALLOWED_NETWORKS"]
    assert allowed == f"${{TCP_ALLOWED_NETWORKS:-127.0.0.0/8,::1/128,{subnet}}}"
    assert listener["environment"]["REDIS_URL"] == APP_SERVICES["web"]["environment"]["REDIS_URL"]


def test_app_services_start_after_the_migrations():
    for name, service in APP_SERVICES.items():
        if name != "migrate":
            assert service["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }, name
