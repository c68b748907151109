"""Every option value set has one source (annotator.choices): the Click choices and the config checks."""

from __future__ import annotations

import click
import pytest

from annotator import choices
from annotator.choices import Decoding, Scheme, check, values
from annotator.cli import main
from annotator.errors import ConfigError
from annotator.labels import SCHEME_ALIASES, SCHEME_PREFIXES, canonical_scheme

VALUE_SETS = {
    name: values(getattr(choices, name))
    for name in (
        "Decoding",
        "Precision",
        "Quantization",
        "Runtime",
        "TrainContext",
        "Keep",
        "Engine",
        "Backend",
        "SaveDtype",
        "Scheme",
        "InputFormat",
        "OutputFormat",
        "ExportInputFormat",
        "ExportOutputFormat",
        "Alignment",
    )
}


def test_every_click_choice_is_a_value_set_of_choices():
    seen = set()
    for name, command in main.commands.items():
        for param in command.params:
            if isinstance(param.type, click.Choice):
                assert tuple(param.type.choices) in VALUE_SETS.values(), (name, param.name)
                seen.add(tuple(param.type.choices))
    assert seen == set(VALUE_SETS.values())  # and every value set is offered by some option


def test_every_command_with_a_device_has_the_same_option():
    devices = [param for command in main.commands.values() for param in command.params if param.name == "device"]
    assert len(devices) == 4  # train, evaluate, predict, annotate
    assert {(p.default, p.help) for p in devices} == {("auto", "auto, cpu or cuda[:N].")}


def test_check_names_the_values():
    assert check("argmax", Decoding, what="--decoding") == "argmax"
    with pytest.raises(ConfigError) as info:
        check("beam", Decoding, what="--decoding")
    assert str(info.value) == "--decoding must be one of constrained, argmax, not 'beam'"


def test_schemes_agree_with_the_labels_module():
    assert set(values(Scheme)) == set(SCHEME_PREFIXES) | set(SCHEME_ALIASES)
    assert all(canonical_scheme(name) in SCHEME_PREFIXES for name in values(Scheme))
