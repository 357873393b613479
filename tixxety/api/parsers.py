"""DRF's request parsers, refusing input that parses but cannot be carried further.

Three kinds of body parse fine and then end in a 500 further on:

- JSON nested about 1,000 deep makes ``json`` raise ``RecursionError``, and
  nesting well below that still reaches code that recurses over the data
  (validation errors, request fingerprints). No API body is nested more than
  a few levels, so a body past ``MAX_DEPTH`` is refused.
- NUL characters: PostgreSQL can store them neither in text nor in jsonb,
  and an error message that echoes one is stored with an idempotent response.
- Lone surrogates (``"\\ud800"``): valid JSON, but not encodable as UTF-8, so
  the database driver or the JSON renderer fails on them.

Each is a 400 ``parse_error``. The checks cost two ``str.count`` calls and one
regular-expression search on an ordinary body; the data is walked only when
the text could hold something to refuse.
"""

import re

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

MAX_DEPTH = 32

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# How a NUL or a surrogate is spelled in JSON text: a raw one is invalid JSON
# (NUL is a control character) or cannot come out of decoding UTF-8 (surrogates).
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")

TOO_DEEP = f"JSON parse error - nested more than {MAX_DEPTH} levels deep."
UNSTORABLE_JSON = "JSON parse error - strings may not contain NUL characters or unpaired surrogates."
UNSTORABLE_FORM = "Form fields may not contain NUL characters."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a depth limit and no NUL or unpaired surrogate in any string."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        parse_constant = json.strict_constant if self.strict else None
        try:
            text = stream.read().decode(encoding)
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            raise ParseError(f"JSON parse error - {exc}") from None
        if text.count("[") + text.count("{") > MAX_DEPTH or _UNSTORABLE_ESCAPE.search(text):
            _check_json(data)
        return data


class FormParser(parsers.FormParser):
    """DRF's form parser, refusing a NUL (``%00``) in any field name or value."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _check_form(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing a NUL in any field name or value."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _check_form(parsed.data)
        return parsed


def _check_json(data) -> None:
    """Walk the parsed body without recursion; ParseError on depth or an unstorable string."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                raise ParseError(UNSTORABLE_JSON)
        elif isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise ParseError(TOO_DEEP)
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)


def _check_form(data: QueryDict) -> None:
    for name, values in data.lists():
        if "\x00" in name or any("\x00" in value for value in values if isinstance(value, str)):
            raise ParseError(UNSTORABLE_FORM)
