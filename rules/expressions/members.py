"""Member access, indexing and Java-style methods on values (spec §4.3 "Methods")."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from rules.expressions.bounded_regex import java_regex
from rules.expressions.datetime_value import DateTime
from rules.expressions.errors import EvaluationError
from rules.expressions.semantics import (
    is_number,
    text_of,
    to_number,
    type_name,
    values_equal,
)


def get_member(target: Any, name: str) -> Any:
    """``target.name``: map key, value-object member, else null (missing fields are null)."""
    if target is None:
        return None
    member = getattr(target, "expression_member", None)
    if member is not None:
        return member(name)
    if isinstance(target, Mapping):
        return target.get(name)
    return None


def get_index(target: Any, index: Any) -> Any:
    """``target[index]``: list position (0-based) or map key; null target → null."""
    if target is None:
        return None
    if isinstance(target, Mapping):
        return target.get(index)
    if isinstance(target, list | tuple | str):
        i = _int_index(index)
        if not -len(target) <= i < len(target):
            raise EvaluationError(f"index {i} out of range for size {len(target)}")
        return target[i]
    member = getattr(target, "expression_member", None)
    if member is not None and isinstance(index, str):
        return member(index)
    raise EvaluationError(f"cannot index a {type_name(target)}")


def _int_index(index: Any) -> int:
    n = to_number(index, "index")
    if isinstance(n, float) and not n.is_integer():
        raise EvaluationError(f"index must be an integer, got {n}")
    return int(n)


def java_replacement(replacement: str) -> str:
    """Java ``$1`` group references → Python ``\\g<1>``; a literal backslash is escaped."""
    out: list[str] = []
    i = 0
    while i < len(replacement):
        ch = replacement[i]
        if ch == "\\" and i + 1 < len(replacement):
            nxt = replacement[i + 1]
            out.append("\\\\" if nxt == "\\" else nxt)
            i += 2
            continue
        if ch == "$" and i + 1 < len(replacement) and replacement[i + 1].isdigit():
            j = i + 1
            while j < len(replacement) and replacement[j].isdigit():
                j += 1
            out.append(f"\\g<{replacement[i + 1 : j]}>")
            i = j
            continue
        out.append("\\\\" if ch == "\\" else ch)
        i += 1
    return "".join(out)


def java_split(text: str, separator: str) -> list[str]:
    """``String.split(regex)``: trailing empty strings removed like Java does."""
    parts = java_regex(separator).split(text) if separator else list(text)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _str_methods(s: str) -> dict[str, Callable[..., Any]]:
    return {
        "length": lambda: len(s),
        "size": lambda: len(s),
        "isEmpty": lambda: len(s) == 0,
        "startsWith": lambda p: s.startswith(text_of(p)),
        "endsWith": lambda p: s.endswith(text_of(p)),
        "contains": lambda p: text_of(p) in s,
        "equals": lambda o: isinstance(o, str) and str.__eq__(s, o),
        "equalsIgnoreCase": lambda o: o is not None and s.lower() == text_of(o).lower(),
        "trim": lambda: s.strip(),
        "toLowerCase": lambda: s.lower(),
        "toUpperCase": lambda: s.upper(),
        "replaceAll": lambda r, t: java_regex(text_of(r)).sub(java_replacement(text_of(t)), s),
        "replaceFirst": lambda r, t: java_regex(text_of(r)).sub(
            java_replacement(text_of(t)), s, count=1
        ),
        "replace": lambda a, b: s.replace(text_of(a), text_of(b)),
        "matches": lambda r: java_regex(text_of(r)).fullmatch(s),
        "split": lambda sep: java_split(s, text_of(sep)),
        "substring": lambda a, b=None: s[_int_index(a) : (None if b is None else _int_index(b))],
        "indexOf": lambda p: s.find(text_of(p)),
        "lastIndexOf": lambda p: s.rfind(text_of(p)),
        "charAt": lambda i: s[_int_index(i)],
        "concat": lambda o: s + text_of(o),
        "toString": lambda: str.__str__(s),
    }


def _list_methods(seq: list[Any] | tuple[Any, ...]) -> dict[str, Callable[..., Any]]:
    return {
        "size": lambda: len(seq),
        "isEmpty": lambda: len(seq) == 0,
        "contains": lambda x: any(values_equal(x, y) for y in seq),
        "get": lambda i: get_index(seq, i),
        "indexOf": lambda x: next((k for k, y in enumerate(seq) if values_equal(x, y)), -1),
        "toString": lambda: text_of(list(seq)),
    }


def _map_methods(m: Mapping[Any, Any]) -> dict[str, Callable[..., Any]]:
    return {
        "size": lambda: len(m),
        "isEmpty": lambda: len(m) == 0,
        "contains": lambda k: k in m,
        "containsKey": lambda k: k in m,
        "containsValue": lambda v: any(values_equal(v, x) for x in m.values()),
        "get": lambda k: m.get(k),
        "getOrDefault": lambda k, d: m.get(k, d),
        "keySet": lambda: sorted(m.keys(), key=str),
        "values": lambda: [m[k] for k in sorted(m.keys(), key=str)],
        "toString": lambda: text_of(m),
    }


def _number_methods(x: int | float) -> dict[str, Callable[..., Any]]:
    return {
        "intValue": lambda: int(x) if not math.isnan(x) else 0,
        "longValue": lambda: int(x) if not math.isnan(x) else 0,
        "doubleValue": lambda: float(x),
        "isNaN": lambda: isinstance(x, float) and math.isnan(x),
        "toString": lambda: text_of(x),
    }


# Every method name some receiver understands; the compiler rejects the others.
METHOD_NAMES: frozenset[str] = frozenset(
    set(_str_methods("")) | set(_list_methods([])) | set(_map_methods({}))
    | set(_number_methods(0)) | set(DateTime._PROPERTIES) | set(DateTime._METHODS)
    | {"toDate", "format"}  # format(): DateFormatter, NumberFormatter, IntervalFormatter
)  # fmt: skip


def is_known_method(name: str) -> bool:
    """Whether any receiver understands ``name`` (getters like ``getHourOfDay`` included)."""
    return name in METHOD_NAMES or (name.startswith("get") and len(name) > 3)


def call_method(target: Any, name: str, args: list[Any]) -> Any:
    """``target.name(args)`` on strings, lists, maps, numbers and value objects."""
    if target is None:
        raise EvaluationError(f"method {name}() called on null")
    custom = getattr(target, "expression_method", None)
    if custom is not None:
        return custom(name, args)
    if isinstance(target, str):
        table = _str_methods(target)
    elif isinstance(target, Mapping):
        table = _map_methods(target)
    elif isinstance(target, list | tuple):
        table = _list_methods(target)
    elif isinstance(target, set | frozenset):
        table = _list_methods(sorted(target, key=str))
    elif is_number(target):
        table = _number_methods(target)
    else:
        member = getattr(target, "expression_member", None)
        if member is not None and not args:
            return member(name)
        table = {}
    fn = table.get(name)
    if fn is None and name.startswith("get") and len(name) > 3 and not args:
        prop = name[3].lower() + name[4:]
        value = get_member(target, prop)
        if value is not None:
            return value
    if fn is None:
        raise EvaluationError(f"{type_name(target)} has no method {name}()")
    try:
        return fn(*args)
    except TypeError as exc:
        raise EvaluationError(f"wrong arguments for {name}(): {exc}") from exc


# -- static classes seen in ATSD exports: Math.round(x), Double.isNaN(x) -------------
def _java_round(x: Any) -> int | float:
    v = float(to_number(x, "argument of Math.round"))
    if math.isnan(v):
        return 0
    if math.isinf(v):
        return v
    return math.floor(v + 0.5)


def _java_signum(x: Any) -> float:
    v = float(to_number(x))
    if math.isnan(v):
        return math.nan
    return float((v > 0) - (v < 0))


STATIC_METHODS: dict[str, dict[str, Callable[..., Any]]] = {
    "Math": {
        "round": _java_round,
        "abs": lambda x: abs(to_number(x)),
        "floor": lambda x: float(math.floor(to_number(x))),
        "ceil": lambda x: float(math.ceil(to_number(x))),
        "max": lambda a, b: max(to_number(a), to_number(b)),
        "min": lambda a, b: min(to_number(a), to_number(b)),
        "pow": lambda a, b: math.pow(to_number(a), to_number(b)),
        "sqrt": lambda x: math.sqrt(to_number(x)) if to_number(x) >= 0 else math.nan,
        "exp": lambda x: math.exp(to_number(x)),
        "signum": _java_signum,
    },
    "Double": {
        "isNaN": lambda x: is_number(x) and isinstance(x, float) and math.isnan(x),
        "parseDouble": lambda s: float(to_number(s)),
        "valueOf": lambda s: float(to_number(s)),
    },
    "Integer": {"parseInt": lambda s: int(to_number(s))},
    "Long": {"parseLong": lambda s: int(to_number(s))},
}
STATIC_FIELDS: dict[str, dict[str, Any]] = {
    "Math": {"PI": math.pi, "E": math.e},
    "Double": {"NaN": math.nan, "MAX_VALUE": 1.7976931348623157e308, "MIN_VALUE": 5e-324},
}
