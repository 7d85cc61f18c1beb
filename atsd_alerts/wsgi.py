"""The web process (gunicorn): the Django application, after the broker's Redis check."""

import os

from django.core.wsgi import get_wsgi_application

from atsd_alerts.redis_check import require_durable_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atsd_alerts.settings")
application = get_wsgi_application()
require_durable_redis("web")
