"""Which records name a person, so that deleting their account never rewrites or breaks them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import models


def _naming_relations() -> list[models.ForeignObjectRel]:
    """Every relation from another model to the user model whose rows deleting a user would change:
    a foreign key that is set to null (or left dangling, as history keeps it) and every many-to-many.
    Relations that cascade (sessions of the admin log, reminder logs) only hold the user's own traces."""
    user_model = get_user_model()
    relations = []
    for field in user_model._meta.get_fields(include_hidden=True):
        if not (field.is_relation and field.auto_created and not field.concrete):
            continue
        if not isinstance(field, models.ForeignObjectRel):
            continue
        if field.many_to_many or field.on_delete is not models.CASCADE:
            relations.append(field)
    return relations


def records_naming(user: AbstractBaseUser) -> list[str]:
    """One line per kind of record that names the user, e.g. "initiatives (manager): 2".

    A user named here cannot be deleted without silently changing entered data, its versions and its
    audit trail (or breaking a rule such as "a decided scope change says who decided it"): deactivate
    the account instead."""
    lines = []
    for relation in _naming_relations():
        model = relation.related_model
        if not (isinstance(model, type) and issubclass(model, models.Model)):
            continue  # a lazy reference to a model that is not installed
        count = model._base_manager.filter(**{relation.field.name: user.pk}).count()
        if count:
            lines.append(f"{model._meta.verbose_name_plural} ({relation.field.verbose_name}): {count}")
    return sorted(lines)
