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
* ``aws/`` — AWS SNS and SQS: ``transport``, ``form``, ``xml``; AWS API: ``form``, ``xml``.
* ``azure_sb/`` — Azure Service Bus and Event Hubs: ``transport``, ``form``, ``xml``.
* ``gcp_ps/`` — Google Cloud Pub/Sub: ``transport``, ``form``, ``xml``.
"""
