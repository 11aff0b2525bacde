"""The back-office roles (DPO, Staff, Viewer) as groups; see gardien/backoffice/roles.py.

The same function runs after every later migration (a post_migrate hook), so models
added afterwards get their permissions in the right roles.
"""

from django.db import migrations


def apply_roles(apps, schema_editor):
    from gardien.backoffice.roles import apply_roles as apply

    apply(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("policy", "0001_initial"),
    ]

    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
