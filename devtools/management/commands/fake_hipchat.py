"""``python manage.py fake_hipchat``: the fake HipChat server for a dry run (README,
first steps); see :mod:`devtools.fakes.hipchat_room`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from devtools.fakes.hipchat_room import serve


class Command(BaseCommand):
    help = (
        "Run a fake HipChat v2 server on 127.0.0.1 for a dry run of web notifications "
        "(one room, a notification token and a message token); Ctrl-C stops it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8099, help="port (default 8099)")
        parser.add_argument("--room", default="Ops Alerts", help="room name (default Ops Alerts)")
        parser.add_argument("--notification-token", default="", help="default: random")
        parser.add_argument("--message-token", default="", help="default: random")

    def handle(self, *args: object, **options: Any) -> None:
        def write(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        try:
            serve(
                port=int(options["port"]),
                room_name=str(options["room"]),
                notification_token=options["notification_token"],
                message_token=options["message_token"],
                write=write,
            )
        except OSError as exc:
            self.stderr.write(f"cannot listen on 127.0.0.1:{options['port']}: {exc}")
            raise SystemExit(1) from None
