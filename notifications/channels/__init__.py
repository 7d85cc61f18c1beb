"""The channel contract and one folder per channel kind.

* ``registry`` — every endpoint kind as data: label, status, parameters, secrets,
  and where its form, transport and XML mapping live.
* ``base`` — the transport contract: ``send_text``, ``send_file``, the shared retry
  classification (:class:`~notifications.channels.base.TransportError`), footprints.
* ``http`` — the one module that owns outbound HTTP.
* ``form`` — the endpoint form every kind's form extends.
* ``xml`` — an endpoint's element in ATSD's ``*-notification.xml``, which every
  kind's mapping extends.
* ``hipchat/`` — HipChat: ``transport``, ``form``, ``xml``.
* ``telegram/`` — Telegram Bot API: ``transport``, ``form``, ``xml``.
* ``webhook/`` — the window fields POSTed to a URL, signed: ``transport``, ``form``, ``xml``.
* ``custom/`` — any HTTP API from request templates: ``request``, ``transport``, ``form``, ``xml``.
* ``slack/`` — Slack: ``transport``, ``form``, ``xml``.
* ``discord/`` — Discord webhooks: ``transport``, ``form``, ``xml``.
* ``teams/`` — Microsoft Teams (Workflows webhooks, Adaptive Cards): ``transport``, ``form``,
  ``xml``.
* ``aws/`` — AWS SNS and SQS: ``transport``, ``form``, ``xml``; AWS API: ``form``, ``xml``.
* ``azure_sb/`` — Azure Service Bus and Event Hubs: ``transport``, ``form``, ``xml``.
* ``gcp_ps/`` — Google Cloud Pub/Sub: ``transport``, ``form``, ``xml``.
"""
