"""The MIME message of an email notification, read back as a mail client reads it."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from notifications.channels.email.message import EmailContent, InlineImage, compose, plain_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def parsed(content: EmailContent, **sender):
    message = compose(content, sender="alerts@example.org", **sender)
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())


def test_headers_carry_the_sender_the_recipients_and_a_one_line_subject():
    mail = parsed(
        EmailContent("[OPEN] disk low\r\non nurswgvml007", "<p>x</p>", ("a@x.org", "b@x.org")),
        sender_name="ATSD Alerts",
    )
    assert mail["From"] == "ATSD Alerts <alerts@example.org>"
    assert mail["To"] == "a@x.org, b@x.org"
    assert mail["Subject"] == "[OPEN] disk low on nurswgvml007"  # no header injection
    assert mail["Message-ID"].endswith("@atsd-alerts>")
    assert mail["X-Priority"] is None


def test_an_urgent_email_is_marked_highest_priority():
    mail = parsed(EmailContent("s", "<p>x</p>", ("a@x.org",), urgent=True))
    assert (mail["X-Priority"], mail["Importance"]) == ("1 (Highest)", "high")


def test_charts_are_inline_images_the_html_refers_to_by_content_id():
    images = [
        InlineImage(PNG, "r_e_open_Default.png", "Default for e"),
        InlineImage(PNG + b"2", "p.png", "P"),
    ]
    mail = parsed(EmailContent("s", "<p>Disk &lt; 10%</p>", ("a@x.org",), images=images))
    html = mail.get_body(preferencelist=("html",)).get_content()
    parts = [p for p in mail.walk() if p.get_content_maintype() == "image"]
    assert [p.get_content() for p in parts] == [PNG, PNG + b"2"]
    assert [p.get_filename() for p in parts] == ["r_e_open_Default.png", "p.png"]
    for part, caption in zip(parts, ("Default for e", "P"), strict=True):
        cid = part["Content-ID"].strip("<>")
        assert f'<img src="cid:{cid}" alt="{caption}">' in html
    assert mail.get_body(preferencelist=("plain",)).get_content().strip() == "Disk < 10%"


def test_the_plain_alternative_keeps_line_breaks_and_drops_markup():
    assert plain_text("<pre>a</pre><br>b<hr><p>c &amp; d</p>") == "a\nb\nc & d"


def test_non_ascii_subjects_and_bodies_arrive_as_written():
    subject = "[OPEN] Высокая загрузка CPU for nurswgvml007"
    mail = parsed(EmailContent(subject, "<p>Загрузка: 95 %</p>", ("a@x.org",)))
    assert mail["Subject"] == subject
    assert "Загрузка: 95 %" in mail.get_body(preferencelist=("html",)).get_content()
