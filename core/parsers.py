"""The API's JSON parser: exact decimals, no NaN or Infinity, and a bounded nesting depth."""

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any, NoReturn

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


# RFC 8259: numbers beyond IEEE 754 doubles do not interoperate (1e999 is one).
LARGEST = Decimal("1.7976931348623157e308")


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number here")


def _decimal(text: str) -> Decimal:
    value = Decimal(text)
    if abs(value) > LARGEST:
        raise ValueError(f"the number {text[:20]} is out of range")
    return value


def nesting_depth(data: object) -> int:
    """How deeply lists and objects nest (iteratively: a hostile body cannot exhaust the stack)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return deepest


def loads_strict(text: str) -> object:
    """json.loads with numbers as exact Decimals (never floats), NaN, Infinity and numbers
    beyond the interoperable range refused; ValueError when it is not that."""
    try:
        return json.loads(text, parse_float=_decimal, parse_constant=_refuse_constant)
    except RecursionError as error:
        raise ValueError("nested too deeply") from error


class StrictJSONParser(JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:  # JSON: an object, an array or a scalar, not only the dict the stubs say
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # Django checks it for request.body, not for a stream
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        try:
            data = loads_strict(body.decode(encoding))
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(f"JSON parse error - {error}") from error
        if nesting_depth(data) > MAX_DEPTH:
            raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.")
        return data
