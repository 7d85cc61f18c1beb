"""docker-compose.yml cannot run here (no Docker engine): check it by construction."""

import importlib
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
    assert module == "atsd_alerts" and attribute == "wsgi"


def test_app_services_wait_for_healthy_database_and_broker():
    for name, service in APP_SERVICES.items():
        depends = service["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    for name in ("postgres", "redis", "selenium"):
        assert "healthcheck" in SERVICES[name], name
