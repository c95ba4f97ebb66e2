"""The typed parameter sections (`params.build_params`): one frozen dataclass per section,
made once per process."""

from __future__ import annotations

import dataclasses

import pytest

from dmpsim.model import params


def _sections(node: object, path: str = "") -> list[str]:
    out = []
    for name, value in node.items():
        if isinstance(value, dict):
            key = f"{path}.{name}" if path else name
            out += [key, *_sections(value, key)]
    return out


def test_each_section_has_one_type_and_its_parent_field_names_that_type():
    params.make_section_types()
    made = set(params._SECTION_TYPES)
    assert made == {"", *_sections(params.SCHEMA)}   # "" is the root
    p = params.build_params(params.defaults())
    assert set(params._SECTION_TYPES) == made   # building made nothing more
    stack = [p]
    while stack:
        section = stack.pop()
        for field in dataclasses.fields(section):
            value = getattr(section, field.name)
            if dataclasses.is_dataclass(value):
                assert type(value) is field.type, field.name
                stack.append(value)


def test_sections_are_frozen():
    p = params.build_params(params.defaults())
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.procurement.rule = "price"
