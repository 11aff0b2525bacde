import django.db.models.deletion
import gardien.vault.fields
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('testapp', '0002_identitydocument'),
        ('vault', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='first_name',
            field=gardien.vault.fields.EncryptedTextField(blank=True),
        ),
        migrations.AddField(
            model_name='message',
            name='status',
            field=gardien.vault.fields.EncryptedTextField(blank=True),
        ),
        migrations.CreateModel(
            name='RightsRequest',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, primary_key=True, serialize=False)),
                ('last_name', gardien.vault.fields.EncryptedTextField(blank=True)),
                ('first_name', gardien.vault.fields.EncryptedTextField(blank=True)),
                ('postal_address', gardien.vault.fields.EncryptedTextField(blank=True)),
                ('request', gardien.vault.fields.EncryptedTextField(blank=True)),
                ('received_at', models.DateTimeField()),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='vault.person')),
            ],
        ),
    ]
