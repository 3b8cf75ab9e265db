"""Support for migrations that move a model to another app while its table stays."""

from collections.abc import Callable

from django.apps.registry import Apps
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def move_content_types(
    old_app: str, new_app: str, models: tuple[str, ...]
) -> Callable[[Apps, BaseDatabaseSchemaEditor], None]:
    """A RunPython function that relabels the models' content types, so their permissions
    and admin log entries follow them (unless the new app has its own already)."""

    def move(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        manager = content_type.objects.db_manager(schema_editor.connection.alias)
        for model in models:
            if not manager.filter(app_label=new_app, model=model).exists():
                manager.filter(app_label=old_app, model=model).update(app_label=new_app)

    return move
