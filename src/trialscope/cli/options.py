"""Options several commands share, declared once.

The search options are not written here at all: :func:`with_search_options` builds them
from :class:`~trialscope.search.request.SearchRequest`, so ``search`` and ``watch add``
take exactly the request's fields and a new filter needs no CLI change.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from inspect import Parameter
from typing import Annotated, Any, get_type_hints

import typer
from pydantic.fields import FieldInfo

from trialscope.search.request import SearchRequest, Surface

__all__ = ["JsonFlag", "search_parameters", "with_search_options"]

#: ``--json``: print JSON instead of text (every read command has it)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _bound(info: FieldInfo, name: str) -> float | None:
    """A numeric bound (``ge``, ``le``) the field declares, if any."""
    found = [getattr(m, name) for m in info.metadata if hasattr(m, name)]
    return float(found[0]) if found else None


def _cli_type(name: str, info: FieldInfo, surface: Surface) -> Any:
    """The typer annotation of one request field."""
    help_text = info.description
    if surface.argument:
        return Annotated[str | None, typer.Argument(help=help_text, show_default=False)]
    on, off = surface.flags(name)
    annotation = info.annotation
    if annotation == tuple[str, ...]:
        return Annotated[list[str] | None, typer.Option(on, help=help_text, show_default=False)]
    if annotation == bool | None:
        return Annotated[bool | None, typer.Option(f"{on}/{off}", help=help_text)]
    if annotation == float | None:
        low, high = _bound(info, "ge"), _bound(info, "le")
        return Annotated[float | None, typer.Option(on, help=help_text, min=low, max=high)]
    return Annotated[annotation, typer.Option(on, help=help_text)]


def search_parameters() -> list[Parameter]:
    """One keyword parameter per request field, typed for typer."""
    return [
        Parameter(
            name,
            Parameter.KEYWORD_ONLY,
            default=None if info.annotation == tuple[str, ...] else info.default,
            annotation=_cli_type(name, info, surface),
        )
        for name, info, surface in SearchRequest.surfaces()
    ]


def with_search_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` every field of :class:`SearchRequest` as a CLI option (the text
    as an argument); it receives them as one ``request: SearchRequest``."""
    hints = get_type_hints(command, include_extras=True)
    own = [
        p.replace(annotation=hints.get(p.name, p.annotation), kind=Parameter.KEYWORD_ONLY)
        for p in inspect.signature(command).parameters.values()
        if p.name != "request"
    ]
    shared = search_parameters()
    names = [p.name for p in shared]

    def wrapper(**kwargs: Any) -> None:
        picked = {name: kwargs.pop(name) for name in names}
        request = SearchRequest.from_values({k: v for k, v in picked.items() if v is not None})
        command(request=request, **kwargs)

    # the command's required parameters (ctx, a NAME argument) first, its options last
    required = [p for p in own if p.default is Parameter.empty]
    params = required + shared + [p for p in own if p.default is not Parameter.empty]
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(wrapper, attribute, getattr(command, attribute))
    return wrapper
