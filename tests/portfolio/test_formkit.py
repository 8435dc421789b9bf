"""The select widgets Bearing renders in Python say exactly what Django's templates would."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.safestring import SafeString, mark_safe

from core.formkit import BearingFormRenderer


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
