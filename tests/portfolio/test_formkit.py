"""The select widgets Bearing renders in Python say exactly what Django's templates would."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.contrib.auth.models import User
from django.forms.renderers import TemplatesSetting
from django.utils.safestring import SafeString, mark_safe

from core.formkit import PERSON_LABEL_FIELDS, BearingFormRenderer, ListedModelChoiceField, person_label
from portfolio.forms import PersonChoiceField
from portfolio.models import Program
from tests.factories import ProgramFactory, UserFactory


class Choices(forms.Form):
    single = forms.ChoiceField(
        choices=[
            ("", "All <programs>"),
            ("1", 'Ops "core" & more'),
            ("Retired", [("7", "Old"), ("8", mark_safe("<b>kept</b>"))]),
        ],
        required=False,
    )
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y"), ("z", "Z")], required=False)
    maybe = forms.NullBooleanField()
    styled = forms.ChoiceField(
        choices=[("a", "A")],
        widget=forms.Select(attrs={"class": "form-select", "disabled": True, "hidden": False}),
    )


def squeeze(markup: str) -> str:
    return re.sub(r"\s*\n\s*", "\n", markup)


@pytest.mark.parametrize("name", ["single", "many", "maybe", "styled"])
def test_a_select_renders_as_django_template_would_apart_from_blank_lines(name):
    bound = Choices({"single": "8", "many": ["x", "z"], "maybe": "true", "styled": "a"})

    bound.renderer = BearingFormRenderer()
    ours = bound[name].as_widget()
    bound.renderer = TemplatesSetting()
    django_s = bound[name].as_widget()

    assert isinstance(ours, SafeString)
    assert squeeze(ours) == squeeze(django_s)


def test_select_escapes_values_and_labels_and_keeps_safe_labels():
    bound = Choices({"single": "1"})
    bound.renderer = BearingFormRenderer()

    assert bound["single"].as_widget() == (
        '<select name="single" id="id_single">'
        '\n  <option value="">All &lt;programs&gt;</option>'
        '\n  <option value="1" selected>Ops &quot;core&quot; &amp; more</option>'
        '\n  <optgroup label="Retired">'
        '\n  <option value="7">Old</option>'
        '\n  <option value="8"><b>kept</b></option>'
        "\n  </optgroup>"
        "\n</select>"
    )


class Records(forms.Form):
    """The same choices of records, as Django's ModelChoiceField and as Bearing's listed field."""

    program = forms.ModelChoiceField(
        queryset=Program.objects.order_by("name"), required=False, empty_label="All"
    )
    listed_program = ListedModelChoiceField(
        queryset=Program.objects.order_by("name"), label_fields=["name"], required=False, empty_label="All"
    )
    person = PersonChoiceField(
        queryset=User.objects.order_by("username"), required=False, empty_label="Anyone"
    )
    listed_person = ListedModelChoiceField(
        queryset=User.objects.order_by("username"),
        label_fields=PERSON_LABEL_FIELDS,
        label_from=person_label,
        required=False,
        empty_label="Anyone",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["program", "person"])
def test_a_listed_choice_renders_as_djangos_model_choice_apart_from_its_name(field):
    # given: labels to escape, a person without a name, and a choice made
    programs = [ProgramFactory(name=name) for name in ('Ops "core" & <more>', "Plain", "O'Brien's")]
    people = [
        UserFactory(username="nameless", first_name="", last_name=""),
        UserFactory(username="z", first_name="Ann"),
    ]
    chosen = {"program": programs[0].pk, "person": people[1].pk}[field]
    bound = Records({field: chosen, f"listed_{field}": chosen})
    bound.renderer = TemplatesSetting()

    # when
    django_s = bound[field].as_widget()
    ours = bound[f"listed_{field}"].as_widget()

    # then
    assert isinstance(ours, SafeString)
    assert squeeze(ours) == squeeze(django_s).replace(f'"{field}"', f'"listed_{field}"').replace(
        f'"id_{field}"', f'"id_listed_{field}"'
    )
    assert " selected>" in ours
    assert bound.is_valid()
    assert bound.cleaned_data[f"listed_{field}"] == bound.cleaned_data[field]
