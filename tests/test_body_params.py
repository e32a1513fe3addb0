"""Every request model has a `TypedDict` twin (`<Model>Params`, beside it) with the
same wire keys, the same requiredness and value types that accept what the model's
fields accept; and every operation taking a body takes the model or its twin.
These fail when a model changes and its dict form does not."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from collections.abc import Iterator
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pydantic
import pytest

import hot_typed
import hot_typed._models as models_package
from hot_typed import HotClient, RequestModel
from hot_typed._client import _RESOURCES


def _request_models() -> list[type[RequestModel]]:
    found: dict[str, type[RequestModel]] = {}
    for info in pkgutil.iter_modules(models_package.__path__):
        module = importlib.import_module(f"hot_typed._models.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, RequestModel)
                and value is not RequestModel
                and value.__module__ == module.__name__
            ):
                found[value.__name__] = value
    return sorted(found.values(), key=lambda model: model.__name__)


MODELS = _request_models()


def _params_of(model: type[RequestModel]) -> Any:
    module = importlib.import_module(model.__module__)
    params = getattr(module, f"{model.__name__}Params", None)
    assert params is not None, f"{model.__name__} has no {model.__name__}Params beside it"
    return params


def _members(annotation: Any) -> Iterator[Any]:
    """The types a value of `annotation` may have: unions flattened, metadata dropped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _members(get_args(annotation)[0])
    elif origin is Union or origin is UnionType:
        for argument in get_args(annotation):
            yield from _members(argument)
    else:
        yield annotation


def _wire_key(name: str, field: pydantic.fields.FieldInfo) -> str:
    return field.alias or name


def test_the_request_models_are_found() -> None:
    names = {model.__name__ for model in MODELS}
    assert {"EventCreate", "SessionCreate", "ServiceKeyCreate", "ContextVariableUpdate"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_params_have_the_models_wire_keys_and_requiredness(model: type[RequestModel]) -> None:
    params = _params_of(model)
    fields = model.model_fields
    assert set(typing.get_type_hints(params)) == {
        _wire_key(name, field) for name, field in fields.items()
    }
    assert params.__required_keys__ == {
        _wire_key(name, field) for name, field in fields.items() if field.is_required()
    }


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_params_value_types_accept_what_the_model_fields_accept(
    model: type[RequestModel],
) -> None:
    hints = typing.get_type_hints(params := _params_of(model))
    model_hints = typing.get_type_hints(model, include_extras=True)
    for name, field in model.model_fields.items():
        declared = set(_members(hints[_wire_key(name, field)]))
        for member in _members(model_hints[name]):
            # Any (user JSON) must stay Any: nothing narrower describes it.
            assert member in declared, (
                f"{params.__name__}[{_wire_key(name, field)!r}] does not accept "
                f"{member!r}, which {model.__name__}.{name} does"
            )


def test_every_body_parameter_takes_the_model_or_its_params() -> None:
    hot = HotClient("token", base_url="http://127.0.0.1:1")
    seen = set()
    for attribute in _RESOURCES:
        resource = getattr(hot, attribute)
        for name in dir(resource):
            method = getattr(resource, name)
            if name.startswith("_") or not callable(method):
                continue
            if "body" not in inspect.signature(method).parameters:
                continue
            body = typing.get_type_hints(method)["body"]
            model, params = get_args(body)
            assert issubclass(model, RequestModel), f"{attribute}.{name}"
            assert params is _params_of(model), f"{attribute}.{name}"
            seen.add(model)
    assert seen == set(MODELS)


def test_params_are_public_names() -> None:
    for model in MODELS:
        assert getattr(hot_typed, f"{model.__name__}Params") is _params_of(model)

