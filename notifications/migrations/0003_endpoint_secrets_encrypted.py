"""Endpoint tokens and proxy passwords encrypted at rest (Fernet, key SECRETS_KEY).

The columns become text holding ciphertext; the data step re-saves every endpoint so
that rows written in plain text before are encrypted. Going back decrypts them.
"""

import json

import atsd_alerts.encryption
import notifications.models
from django.db import migrations


def encrypt_existing(apps, schema_editor):
    Endpoint = apps.get_model("notifications", "Endpoint")
    for endpoint in Endpoint.objects.using(schema_editor.connection.alias).all():
        # Reading accepts plain text; writing encrypts with the first SECRETS_KEY.
        Endpoint.objects.filter(pk=endpoint.pk).update(
            parameters=endpoint.parameters, proxy_password=endpoint.proxy_password
        )


def decrypt_existing(apps, schema_editor):
    Endpoint = apps.get_model("notifications", "Endpoint")
    table = Endpoint._meta.db_table
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        for endpoint in Endpoint.objects.using(schema_editor.connection.alias).all():
            cursor.execute(
                f"UPDATE {quote(table)} SET {quote('parameters')} = %s, "  # noqa: S608
                f"{quote('proxy_password')} = %s WHERE {quote('id')} = %s",
                [json.dumps(endpoint.parameters), endpoint.proxy_password, endpoint.pk],
            )


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_bindings_and_deliveries'),
    ]

    operations = [
        migrations.AlterField(
            model_name='endpoint',
            name='parameters',
            field=atsd_alerts.encryption.EncryptedJSONField(blank=True, default=list, validators=[notifications.models.validate_parameters]),
        ),
        migrations.AlterField(
            model_name='endpoint',
            name='proxy_password',
            field=atsd_alerts.encryption.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
