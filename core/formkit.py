"""Form plumbing shared by every app: Bootstrap rendering, the version field and domain-error mapping."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from django import forms
from django.db import models
from django.forms.boundfield import BoundField
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import TemplatesSetting
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from core import choices
from core.errors import ApplicationError, StaleEdit
from core.fields import DecimalInput
from core.formatting import field_display, person


class BearingFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT_TEMPLATE:
            return select_html(context["widget"])
        return super().render(template_name, context, request)


SELECT_TEMPLATE = "django/forms/widgets/select.html"


def _attrs_html(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html: True gives a bare name, False leaves the attribute out."""
    return "".join(
        f" {name}" if value is True else f' {name}="{html.escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def select_html(widget: dict[str, Any]) -> str:
    """What Django's select.html renders, built in Python: the template includes a template per option,
    which costs the register's filters (hundreds of objectives, people and programs) tens of milliseconds on
    every page."""
    parts = [f'<select name="{html.escape(str(widget["name"]))}"{_attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(
            f'\n  <option value="{html.escape(str(option["value"]))}"{_attrs_html(option["attrs"])}>'
            f"{conditional_escape(option['label'])}</option>"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class ListedChoiceIterator(ModelChoiceIterator):
    """The options of a ListedModelChoiceField: (primary key, label) read as rows of values, with no model
    instance per option."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        field = cast("ListedModelChoiceField", self.field)
        if field.empty_label is not None:
            yield ("", field.empty_label)
        rows = self.queryset.values_list("pk", *field.label_fields)
        if len(field.label_fields) == 1 and field._label_from is None:
            yield from rows  # (pk, label) as they come
            return
        for pk, *values in rows:
            yield (pk, field.label_from_values(values))


class ListedSelect(forms.Select):
    """A select rendered straight from its choices in one pass, markup as select_html's: a filter that lists
    every program, objective or person builds no option dictionary per option."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        field = getattr(self.choices, "field", None)
        if isinstance(field, ListedModelChoiceField) and field.source is not None:
            return self.render_long(field, field.source, name, value, attrs)
        choices: list[tuple[str, Any]] = [(str(option), label) for option, label in self.choices]
        # plain text, as read from the database: escaped in one pass over all the labels
        shown = html.escape(SEPARATOR.join(str(label) for _option, label in choices)).split(SEPARATOR)
        if len(shown) != len(choices) or any(hasattr(label, "__html__") for _option, label in choices):
            shown = [conditional_escape(label) for _option, label in choices]
        selected = set(self.format_value(value))
        parts = [f'<select name="{html.escape(name)}"{_attrs_html(self.build_attrs(self.attrs, attrs))}>']
        for (text, _label), label_html in zip(choices, shown, strict=True):
            mark = " selected" if text in selected else ""
            selected.discard(text)  # as Django: only the first option of a value is selected
            parts.append(f'\n  <option value="{html.escape(text)}"{mark}>{label_html}</option>')
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped

    def render_long(
        self,
        field: ListedModelChoiceField,
        source: choices.ChoiceSource,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None,
    ) -> SafeString:
        """A list of a source's options that may be long (core.choices): the first of them and the one
        chosen, with a search box for the others once there are more than it shows."""
        selected = [str(v) for v in self.format_value(value) if v]
        options, more = source.options(selected=selected)
        empty = None if field.empty_label is None else str(field.empty_label)
        built = self.build_attrs(self.attrs, attrs)
        select = (
            f'<select name="{html.escape(name)}"{_attrs_html(built)}>'
            + choices.options_html(options, selected, empty_label=empty, more=more)
            + "\n</select>"
        )
        if not more:
            return mark_safe(select)  # noqa: S308 - every value above is escaped
        target = built.get("id", "")
        search = {
            "type": "search",
            "name": "search",
            "form": "no-form",  # not sent with the filters, nor submitted by Enter
            "class": "form-control form-control-sm mt-1 listed-search",
            "placeholder": f"Type to find other {source.noun}",
            "aria-label": f"Find {source.noun} for {field.label or name}",
            "autocomplete": "off",
            "maxlength": choices.SEARCH_MAX_LENGTH,
            "hx-get": reverse("core:choice-options", args=[source.key]),
            "hx-trigger": "input changed delay:300ms, search",
            "hx-target": f"#{target}",
            "hx-swap": "innerHTML",
            "hx-include": f"#{target}",
            "hx-vals": json.dumps({"field": name, "empty": empty or ""}),
        }
        return mark_safe(select + f"\n<input{_attrs_html(search)}>")  # noqa: S308 - escaped above


SEPARATOR = "\x00"  # joins the labels escaped at once (a label holding one is escaped on its own)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A choice of one record among many (a filter listing every program, objective or person): the options
    are read as values (`label_fields`, joined by a space unless `label_from` says otherwise) and rendered by
    ListedSelect. What it cleans to is the record, as ModelChoiceField's."""

    iterator = ListedChoiceIterator
    widget = ListedSelect

    def __init__(
        self,
        queryset: models.QuerySet[Any],
        *,
        label_fields: Sequence[str],
        label_from: Callable[[Sequence[Any]], str] | None = None,
        source: choices.ChoiceSource | None = None,
        **kwargs: Any,
    ) -> None:
        self.label_fields = tuple(label_fields)
        self._label_from = label_from
        self.source = source  # a list that may be long: shown in part, with a search box (core.choices)
        super().__init__(queryset, **kwargs)

    @classmethod
    def of(cls, source: choices.ChoiceSource, **kwargs: Any) -> ListedModelChoiceField:
        """A choice among a registered source's records (its queryset, its labels): a list that may be long."""
        return cls(
            source.queryset(),
            label_fields=source.label_fields,
            label_from=source.label_from,
            source=source,
            **kwargs,
        )

    def label_from_values(self, values: Sequence[Any]) -> str:
        if self._label_from is not None:
            return self._label_from(values)
        return " ".join(str(value) for value in values)


def person_label(values: Sequence[Any]) -> str:
    """A person's option label from (first name, last name, username), as core.formatting.person names them:
    the full name, or the username when there is none."""
    first, last, username = values
    return f"{first} {last}".strip() or str(username)


PERSON_LABEL_FIELDS = ("first_name", "last_name", "username")


def _widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple) and not isinstance(
        widget, forms.CheckboxSelectMultiple | forms.RadioSelect
    ):
        return "form-select"
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return ""
    return "form-control"


class BearingBoundField(BoundField):
    """Adds Bootstrap classes, and marks a field invalid (for sight and for screen readers) when it has errors."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        classes = [cast(str, attrs.get("class", "")), _widget_class(widget)]
        if self.form.is_bound and self.errors:
            classes.append("is-invalid")
            attrs["aria-invalid"] = "true"
            described = attrs.get("aria-describedby", "")
            attrs["aria-describedby"] = f"{described} {self.auto_id}_error".strip()
        attrs["class"] = " ".join(c for c in classes if c)
        return attrs


class BearingFormMixin:
    """Server-side validation only, so every message comes from one place and looks the same."""

    bound_field_class: type[BoundField] | None = BearingBoundField
    use_required_attribute = False

    def _style_widgets(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(field, forms.DateField) and not isinstance(widget, forms.HiddenInput):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            elif isinstance(field, forms.DecimalField) and type(widget) is forms.NumberInput:
                field.widget = DecimalInput(attrs=widget.attrs)
            elif isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("rows", 3)


class BearingForm(BearingFormMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style_widgets()


def display_value(instance: models.Model, field_name: str, value: Any = ...) -> str:
    """A field's value as a person reads it (core.formatting.field_display: choice labels, names of related
    records, money with its currency, ISO dates); many-to-many values as a list of names."""
    field = instance._meta.get_field(field_name)
    if value is ...:
        value = getattr(instance, field_name)
    if hasattr(value, "all"):
        return ", ".join(person(item) for item in value.all()) or "—"
    if isinstance(value, list | tuple | set) and value and isinstance(next(iter(value)), models.Model):
        return ", ".join(sorted(person(item) for item in value))
    if not isinstance(field, models.Field):
        return person(value) if value not in (None, "") else "—"
    return field_display(field, value)


class SubmissionMixin:
    """What a form needs to show a refused service call: domain errors on fields, and stale-edit details."""

    stale = False
    stale_rows: list[tuple[str, str, str]]

    def add_application_error(self, error: ApplicationError) -> None:
        if not error.field_errors:
            self.add_error(None, error.message)  # type: ignore[attr-defined]
        for field, messages in error.field_errors.items():
            target = field if field in self.fields and field != "version" else None  # type: ignore[attr-defined]
            for message in messages:
                self.add_error(target, message)  # type: ignore[attr-defined]

    def show_stale(self, error: StaleEdit) -> None:
        """Keep the user's input, list where it differs from what is stored now, and adopt the new version."""
        form: Any = self
        current = error.current
        self.stale = True
        form.add_error(None, error.message)
        values = getattr(form, "cleaned_data", {})
        for name, field in form.fields.items():
            if name == "version" or name not in values:
                continue
            mine = display_value(current, name, values[name])
            theirs = display_value(current, name)
            if mine != theirs:
                self.stale_rows.append((str(field.label), mine, theirs))
        data = form.data.copy()
        data[form.add_prefix("version")] = str(current.version)
        form.data = data


class VersionedModelForm(SubmissionMixin, BearingFormMixin, forms.ModelForm):
    """A model form that carries the version the user saw, and shows what changed if the save is stale."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style_widgets()
        self.stale_rows = []
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean_version(self) -> int | None:
        version = self.cleaned_data.get("version")
        if self.instance.pk and version is None:
            raise forms.ValidationError("This form is missing its version; reload the page and try again.")
        return version

    def model_values(self) -> dict[str, Any]:
        """Cleaned values of the model fields this form edits (many-to-many fields excluded)."""
        m2m = {f.name for f in self._meta.model._meta.many_to_many}
        return {
            name: self.cleaned_data[name]
            for name in self.fields
            if name != "version" and name in self.cleaned_data and name not in m2m
        }

    def m2m_values(self) -> dict[str, Any]:
        m2m = {f.name for f in self._meta.model._meta.many_to_many}
        return {
            name: self.cleaned_data[name] for name in self.fields if name in m2m and name in self.cleaned_data
        }


class DeleteForm(SubmissionMixin, BearingForm):
    """Confirms a deletion of the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data: Any = None, *, instance: models.Model) -> None:
        super().__init__(data, initial={"version": getattr(instance, "version", None)})
        self.instance = instance
        self.stale_rows = []
