"""The function registry: each function is registered once with its signature.

An implementation receives the evaluation context first and then the evaluated
arguments: ``impl(ctx, *args)``. Statistical functions (spec §4.5) are flagged
so the compiler can reject them in filters and return 0 when there is no
window; ``math_arity`` marks the arity at which ``min``/``max`` are the plain
math functions instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Impl = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    impl: Impl
    min_args: int
    max_args: int | None  # None = any number
    statistical: bool = False
    math_arity: int | None = None
    doc: str = ""

    def is_statistical(self, nargs: int) -> bool:
        """Whether a call with ``nargs`` arguments reads the window."""
        return self.statistical and nargs != self.math_arity

    def signature(self) -> str:
        if self.max_args is None:
            return f"{self.name}({self.min_args}+ args)"
        if self.min_args == self.max_args:
            return f"{self.name}({self.min_args} args)"
        return f"{self.name}({self.min_args}-{self.max_args} args)"


REGISTRY: dict[str, Function] = {}

# countIf, avgIf and sumIf take their condition as text and compile it when called.
# The compiler imports every function module, so it hands itself over when it loads
# (``set_condition_compiler``) rather than being imported by them.
_condition_compiler: Callable[[str], Any] | None = None


def set_condition_compiler(compile_condition: Callable[[str], Any]) -> None:
    """Give the functions that compile condition texts the compiler to use."""
    global _condition_compiler
    _condition_compiler = compile_condition


def compile_condition(text: str) -> Any:
    """``text`` compiled as a condition (raises the compiler's ``ExpressionError``)."""
    if _condition_compiler is None:
        raise RuntimeError("rules.expressions.compiler is not loaded")
    return _condition_compiler(text)


def register(
    name: str,
    min_args: int = 0,
    max_args: int | None = -1,
    *,
    statistical: bool = False,
    math_arity: int | None = None,
) -> Callable[[Impl], Impl]:
    """Register ``impl(ctx, *args)`` as ``name``; ``max_args=-1`` means ``= min_args``."""

    def decorator(impl: Impl) -> Impl:
        if name in REGISTRY:
            raise RuntimeError(f"function {name!r} registered twice")
        REGISTRY[name] = Function(
            name=name,
            impl=impl,
            min_args=min_args,
            max_args=min_args if max_args == -1 else max_args,
            statistical=statistical,
            math_arity=math_arity,
            doc=(impl.__doc__ or "").strip(),
        )
        return impl

    return decorator


def alias(name: str, target: str) -> None:
    """Register ``name`` as another name of ``target`` (``mean`` → ``avg``)."""
    fn = REGISTRY[target]
    if name in REGISTRY:
        raise RuntimeError(f"function {name!r} registered twice")
    REGISTRY[name] = Function(
        name, fn.impl, fn.min_args, fn.max_args, fn.statistical, fn.math_arity, fn.doc
    )
