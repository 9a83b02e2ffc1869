"""Checklist expressions: parsed and type-checked when a checklist loads, evaluated without ``eval``.

An expression is a small boolean formula over file-profile fields, for example::

    suspect_status in ['named', 'arrested_or_interviewed'] or hours(reported - occurred_to) <= 24

The text is parsed by Python's own parser (``ast.parse`` in ``eval`` mode, which only builds a
syntax tree and runs nothing), then every node is checked against a short whitelist and typed
against the symbol table. Evaluation walks the checked tree. It uses three-valued (Kleene) logic:
a field that has not been recorded yet is *unknown* (``None``), and ``None`` propagates unless the
answer is already decided (``False and unknown`` is ``False``; ``True or unknown`` is ``True``).

Grammar accepted: ``and``, ``or``, ``not``, ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``,
``not in``, list literals ``[...]``, text in quotes, numbers, ``true``/``false``, ``+``/``-`` on
numbers, ``date - date`` (a duration), and the functions ``days(duration)`` and ``hours(duration)``.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import io
import operator
import re
import tokenize
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

# Value kinds an expression can have.
BOOL = "yes/no value"
NUMBER = "number"
TEXT = "text"
DATE = "date"
DATETIME = "date and time"
DURATION = "duration"
YESNO = "yes/no/unknown field"
CHOICE = "choice"
LIST = "list"

YESNO_VALUES = ("yes", "no", "unknown")
FUNCTIONS = {"days": 86400.0, "hours": 3600.0}
_CONSTANT_NAMES = {"true": True, "false": False, "True": True, "False": False}
_ORDERABLE = {NUMBER, DATE, DATETIME}


@dataclass(frozen=True)
class ValueType:
    """The static type of a field or sub-expression.

    ``values`` holds the allowed values of a choice or yes/no field, or the items of a list literal.
    ``element`` is the base kind of choice values and list items (TEXT or NUMBER).
    """

    kind: str
    values: tuple[Any, ...] = ()
    element: str = ""

    @property
    def is_boolish(self) -> bool:
        return self.kind in (BOOL, YESNO)

    def describe(self) -> str:
        if self.kind == CHOICE:
            return "choice (" + ", ".join(_show(v) for v in self.values) + ")"
        return self.kind


def choice_type(values: tuple[Any, ...]) -> ValueType:
    """The type of a choice field whose allowed values are ``values`` (all text or all numbers)."""
    element = NUMBER if values and all(_is_number(v) for v in values) else TEXT
    return ValueType(CHOICE, tuple(values), element)


YESNO_TYPE = ValueType(YESNO, YESNO_VALUES, TEXT)
BOOL_TYPE = ValueType(BOOL)
NUMBER_TYPE = ValueType(NUMBER)


class ExpressionError(ValueError):
    """An expression is malformed or ill-typed; ``offset`` is the 0-based character offset in the text."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Expression:
    """A parsed, type-checked expression, ready to evaluate."""

    text: str
    type: ValueType
    names: frozenset[str]
    _tree: ast.expr = field(repr=False, compare=False)
    # The tree compiled to nested closures (see _compile): what evaluate runs. Rebuilt, not pickled.
    _run: Callable[[Mapping[str, Any]], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_run", _compile(self._tree, yesno=self.type.kind == YESNO))

    def __getstate__(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if name != "_run"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__post_init__()

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """Evaluate against ``env`` (name → value; a missing name or ``None`` means unknown).

        Returns the value, or ``None`` when it depends on something unknown. Boolish results are
        ``True``/``False``/``None``.
        """
        return self._run(env)

    def unknown_names(self, env: Mapping[str, Any]) -> list[str]:
        """The names this expression uses that have no value in ``env``, sorted."""
        return sorted(n for n in self.names if env.get(n) is None)


def compile_expression(text: str, symbols: Mapping[str, ValueType], *, expect_bool: bool = True) -> Expression:
    """Parse and type-check ``text`` against ``symbols``.

    :param text: the expression source.
    :param symbols: the names the expression may use, with their types.
    :param expect_bool: require the result to be a yes/no value (as ``applies_when`` does).
    :raises ExpressionError: with a message and the offset of the offending part.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression is empty", 0)
    if "\n" in text.strip():
        raise ExpressionError("an expression must be on one line", text.index("\n"))
    source = text.strip()
    lead = len(text) - len(text.lstrip())
    _check_ascii_names(source, lead)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        message, offset = _syntax_problem(exc, source)
        raise ExpressionError(message, lead + offset) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot parse expression: {exc}", lead) from None
    checker = _TypeChecker(source, symbols, lead)
    try:
        result = checker.check(tree.body)
    except RecursionError:
        raise ExpressionError("expression is nested too deeply", lead) from None
    if expect_bool and not result.is_boolish:
        raise ExpressionError(f"expression must be true or false, but it gives a {result.describe()}", lead)
    return Expression(text, result, frozenset(checker.names), tree.body)


def _check_ascii_names(source: str, lead: int) -> None:
    """Names are ASCII: Python's parser folds look-alike letters into ASCII ones (NFKC: full-width
    'ｖideo' becomes 'video'), so a name that only looks like a field's would pass as that field."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return  # the parser reports it
    for token in tokens:
        if token.type == tokenize.NAME and not token.string.isascii():
            raise ExpressionError(f"'{token.string}' is not a name: names use ASCII letters, digits and underscores "
                                  "only (a look-alike letter is not the same letter)", lead + token.start[1])


def _syntax_problem(exc: SyntaxError, source: str) -> tuple[str, int]:
    """A message and 0-based offset for a syntax error.

    Python reports an expression that stops too early ('video and') at its first character; the
    useful place is the last word, so that case is recognised from the tokens.
    """
    offset = max((exc.offset or 1) - 1, 0)
    message = _syntax_message(exc, source)
    if offset == 0 and message == "invalid syntax":
        last = _last_token(source)
        if last is not None and (last.type == tokenize.OP and last.string not in ")]" or last.string in _OPERATOR_WORDS):
            return f"incomplete expression: nothing after '{last.string}'", last.start[1]
    return message, offset


_OPERATOR_WORDS = {"and", "or", "not", "in", "is"}


def _last_token(source: str) -> tokenize.TokenInfo | None:
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.COMMENT)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return tokens[-1] if tokens else None


def _syntax_message(exc: SyntaxError, source: str) -> str:
    message = (exc.msg or "invalid syntax").rstrip(".")
    if "Maybe you meant '=='" in message or re.search(r"(?<![=!<>])=(?!=)", source):
        return "invalid syntax: use '==' to compare, not '='"
    if message == "invalid syntax":
        return "invalid syntax"
    return f"invalid syntax: {message}"


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _truth(value: Any) -> bool | None:
    """Truth of a boolish value: a yes/no/unknown field is true only when it is 'yes'."""
    if value is None:
        return None
    if isinstance(value, str):
        return value == "yes"
    return bool(value)


class _TypeChecker:
    """Walks a syntax tree, rejecting anything outside the grammar and computing types."""

    def __init__(self, source: str, symbols: Mapping[str, ValueType], lead: int):
        self.source = source
        self.symbols = symbols
        self.lead = lead
        self.names: set[str] = set()

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        # ast offsets are UTF-8 byte offsets; convert to characters.
        byte_offset = getattr(node, "col_offset", 0) or 0
        chars = len(self.source.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
        return ExpressionError(message, self.lead + chars)

    def check(self, node: ast.expr) -> ValueType:
        method = getattr(self, "_check_" + type(node).__name__, None)
        if method is None:
            raise self.fail(node, f"'{ast.unparse(node)}' is not allowed in an expression")
        return method(node)

    def _check_Name(self, node: ast.Name) -> ValueType:
        if node.id in _CONSTANT_NAMES:
            return BOOL_TYPE
        if node.id in FUNCTIONS:
            raise self.fail(node, f"'{node.id}' is a function: write {node.id}(date1 - date2)")
        if node.id not in self.symbols:
            hint = difflib.get_close_matches(node.id, list(self.symbols), n=1)
            suffix = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise self.fail(node, f"unknown field '{node.id}'{suffix}")
        self.names.add(node.id)
        return self.symbols[node.id]

    def _check_Constant(self, node: ast.Constant) -> ValueType:
        value = node.value
        if isinstance(value, bool):
            return BOOL_TYPE
        if _is_number(value):
            return ValueType(NUMBER, (value,), NUMBER)
        if isinstance(value, str):
            return ValueType(TEXT, (value,), TEXT)
        raise self.fail(node, f"the value {ast.unparse(node)} is not allowed in an expression")

    def _check_List(self, node: ast.List | ast.Tuple) -> ValueType:
        if not node.elts:
            raise self.fail(node, "a list must not be empty")
        items: list[Any] = []
        kinds = set()
        for element in node.elts:
            if isinstance(element, ast.UnaryOp) and isinstance(element.op, ast.USub):
                element_type = self._check_UnaryOp(element)
            elif isinstance(element, ast.Constant):
                element_type = self._check_Constant(element)
            else:
                raise self.fail(element, "a list may hold only quoted text or numbers")
            if element_type.kind not in (TEXT, NUMBER):
                raise self.fail(element, "a list may hold only quoted text or numbers")
            kinds.add(element_type.kind)
            items.extend(element_type.values)
        if len(kinds) > 1:
            raise self.fail(node, "a list must not mix text and numbers")
        return ValueType(LIST, tuple(items), kinds.pop())

    _check_Tuple = _check_List

    def _check_BoolOp(self, node: ast.BoolOp) -> ValueType:
        word = "and" if isinstance(node.op, ast.And) else "or"
        for operand in node.values:
            self._require_boolish(operand, f"'{word}' needs yes/no values on both sides")
        return BOOL_TYPE

    def _check_UnaryOp(self, node: ast.UnaryOp) -> ValueType:
        if isinstance(node.op, ast.Not):
            self._require_boolish(node.operand, "'not' needs a yes/no value")
            return BOOL_TYPE
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) and _is_number(node.operand.value):
            return ValueType(NUMBER, (-node.operand.value,), NUMBER)
        if isinstance(node.op, ast.USub):
            operand = self.check(node.operand)
            if operand.kind == NUMBER:
                return NUMBER_TYPE
        raise self.fail(node, f"'{ast.unparse(node)}' is not allowed in an expression")

    def _require_boolish(self, node: ast.expr, message: str) -> None:
        found = self.check(node)
        if not found.is_boolish:
            raise self.fail(node, f"{message}; '{ast.unparse(node)}' is a {found.describe()}")

    def _check_BinOp(self, node: ast.BinOp) -> ValueType:
        if not isinstance(node.op, (ast.Add, ast.Sub)):
            raise self.fail(node, "only '+' and '-' are allowed in arithmetic")
        left, right = self.check(node.left), self.check(node.right)
        if left.kind == NUMBER and right.kind == NUMBER:
            return NUMBER_TYPE
        if isinstance(node.op, ast.Sub) and left.kind == right.kind and left.kind in (DATE, DATETIME):
            return ValueType(DURATION)
        if isinstance(node.op, ast.Sub) and {left.kind, right.kind} == {DATE, DATETIME}:
            raise self.fail(node, "cannot subtract a date from a date and time (or the reverse): use fields of the same type")
        raise self.fail(node, f"cannot compute {left.describe()} {'+' if isinstance(node.op, ast.Add) else '-'} {right.describe()}")

    def _check_Call(self, node: ast.Call) -> ValueType:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.fail(node, f"unknown function '{ast.unparse(node.func)}' (known: {', '.join(FUNCTIONS)})")
        if node.keywords or len(node.args) != 1:
            raise self.fail(node, f"{node.func.id}() takes exactly one duration, e.g. {node.func.id}(reported - occurred_to)")
        argument = self.check(node.args[0])
        if argument.kind != DURATION:
            raise self.fail(node.args[0], f"{node.func.id}() needs a duration (one date minus another), not a {argument.describe()}")
        return NUMBER_TYPE

    def _check_Compare(self, node: ast.Compare) -> ValueType:
        if len(node.ops) != 1:
            raise self.fail(node, "chained comparisons are not supported: join them with 'and'")
        op = node.ops[0]
        left, right = self.check(node.left), self.check(node.comparators[0])
        if isinstance(op, (ast.In, ast.NotIn)):
            self._check_membership(node, left, right)
        elif isinstance(op, (ast.Eq, ast.NotEq)):
            self._check_equality(node, left, right)
        elif isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
            self._check_order(node, left, right)
        else:
            raise self.fail(node, f"'{ast.unparse(node)}' uses an operator that is not allowed")
        return BOOL_TYPE

    def _check_membership(self, node: ast.Compare, left: ValueType, right: ValueType) -> None:
        if right.kind != LIST:
            raise self.fail(node.comparators[0], "'in' needs a list on its right, e.g. outcome_type in [14, 16]")
        if left.kind in (CHOICE, YESNO):
            self._check_allowed(node.comparators[0], left, right.values)
        elif left.kind != right.element:
            raise self.fail(node, f"cannot look for a {left.describe()} in a list of {right.element}s")

    def _check_equality(self, node: ast.Compare, left: ValueType, right: ValueType) -> None:
        for field_type, other, other_node in ((left, right, node.comparators[0]), (right, left, node.left)):
            if field_type.kind in (CHOICE, YESNO) and other.kind in (TEXT, NUMBER) and other.values:
                self._check_allowed(other_node, field_type, other.values)
                return
        if _comparable(left, right):
            return
        raise self.fail(node, f"cannot compare a {left.describe()} with a {right.describe()}")

    def _check_order(self, node: ast.Compare, left: ValueType, right: ValueType) -> None:
        kinds = {_order_kind(left), _order_kind(right)}
        if len(kinds) == 1 and kinds <= _ORDERABLE:
            return
        if DURATION in (left.kind, right.kind):
            raise self.fail(node, "compare durations through days(...) or hours(...), e.g. days(allocated - recorded) <= 2")
        raise self.fail(node, f"cannot order a {left.describe()} against a {right.describe()}")

    def _check_allowed(self, node: ast.expr, field_type: ValueType, values: tuple[Any, ...]) -> None:
        for value in values:
            if value not in field_type.values or type(value) is bool:
                allowed = ", ".join(_show(v) for v in field_type.values)
                raise self.fail(node, f"{_show(value)} is not one of the allowed values ({allowed})")


def _order_kind(value_type: ValueType) -> str:
    if value_type.kind == CHOICE and value_type.element == NUMBER:
        return NUMBER
    return value_type.kind


def _comparable(left: ValueType, right: ValueType) -> bool:
    def base(t: ValueType) -> str:
        return t.element if t.kind in (CHOICE, YESNO) else (BOOL if t.kind == BOOL else t.kind)

    if left.kind == CHOICE and right.kind == CHOICE:
        return left.element == right.element
    return base(left) == base(right) and left.kind != LIST


_Run = Callable[[Mapping[str, Any]], Any]
_MAX_COMPILED_DEPTH = 60  # deeper trees (never met in a real checklist) keep the tree walker, recursion and all


def _compile(tree: ast.expr, *, yesno: bool) -> _Run:
    """A function of the environment that gives exactly what ``_Evaluator(env).eval(tree)`` gives
    (then ``_truth`` of it for a yes/no/unknown expression): the same value, the same ``None`` for
    unknown, the same operations in the same order (so the same exceptions for values of the wrong
    type). Each node becomes one closure, decided once here instead of on every evaluation; the
    tree walker below stays the definition, and serves any tree this does not handle."""
    def walk(env: Mapping[str, Any]) -> Any:
        return _Evaluator(env).eval(tree)

    run: _Run = walk
    try:
        if _depth(tree) <= _MAX_COMPILED_DEPTH:
            run = _compile_node(tree)
    except Exception:  # a tree the type checker would not pass: evaluate it as it always was
        run = walk
    if not yesno:
        return run
    value_of = run

    def truth(env: Mapping[str, Any]) -> bool | None:
        return _truth(value_of(env))
    return truth


def _depth(node: ast.AST) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _compile_node(node: ast.expr) -> _Run:
    if isinstance(node, ast.Name):
        if node.id in _CONSTANT_NAMES:
            constant = _CONSTANT_NAMES[node.id]
            return lambda env: constant
        name = node.id
        return lambda env: env.get(name)
    if isinstance(node, ast.Constant):
        value = node.value
        return lambda env: value
    if isinstance(node, (ast.List, ast.Tuple)):
        elements = [_compile_node(element) for element in node.elts]
        return lambda env: [element(env) for element in elements]
    if isinstance(node, ast.BoolOp):
        return _compile_bool_op(node)
    if isinstance(node, ast.UnaryOp):
        return _compile_unary_op(node)
    if isinstance(node, ast.BinOp):
        return _compile_bin_op(node)
    if isinstance(node, ast.Call):
        return _compile_call(node)
    if isinstance(node, ast.Compare):
        return _compile_compare(node)
    raise TypeError(f"no closure for {type(node).__name__}")


def _compile_bool_op(node: ast.BoolOp) -> _Run:
    decisive = isinstance(node.op, ast.Or)  # 'or' is decided by a True, 'and' by a False
    undecided = not decisive
    operands = tuple(_compile_node(operand) for operand in node.values)

    def run(env: Mapping[str, Any]) -> bool | None:
        unknown = False
        for operand in operands:
            value = operand(env)
            if value is not None:  # _truth, inlined
                value = value == "yes" if isinstance(value, str) else bool(value)
            if value is None:
                unknown = True
            elif value is decisive:
                return decisive
        return None if unknown else undecided
    return run


def _compile_unary_op(node: ast.UnaryOp) -> _Run:
    operand = _compile_node(node.operand)
    if isinstance(node.op, ast.Not):
        def negation(env: Mapping[str, Any]) -> Any:
            value = operand(env)
            return None if value is None else not _truth(value)
        return negation

    def minus(env: Mapping[str, Any]) -> Any:
        value = operand(env)
        return None if value is None else -value
    return minus


def _compile_bin_op(node: ast.BinOp) -> _Run:
    left, right = _compile_node(node.left), _compile_node(node.right)
    if isinstance(node.op, ast.Add):
        def add(env: Mapping[str, Any]) -> Any:
            a, b = left(env), right(env)
            return None if a is None or b is None else a + b
        return add

    def subtract(env: Mapping[str, Any]) -> Any:
        a, b = left(env), right(env)
        return None if a is None or b is None else a - b
    return subtract


def _compile_call(node: ast.Call) -> _Run:
    argument, func = _compile_node(node.args[0]), node.func

    def call(env: Mapping[str, Any]) -> float | None:
        duration = argument(env)
        if duration is None:
            return None
        assert isinstance(func, ast.Name) and isinstance(duration, dt.timedelta)
        return duration.total_seconds() / FUNCTIONS[func.id]
    return call


_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
}


def _compile_compare(node: ast.Compare) -> _Run:
    op = node.ops[0]
    compare = _COMPARISONS.get(type(op), operator.ge)  # as the walker: anything else is '>='
    left_node, right_node = node.left, node.comparators[0]
    if isinstance(left_node, ast.Name) and left_node.id not in _CONSTANT_NAMES and _is_literal(right_node) \
            and (isinstance(right_node, ast.Constant) or isinstance(op, (ast.In, ast.NotIn))):
        # the usual shape, field OP literal: the literal is never None and costs nothing to evaluate
        name = left_node.id
        literal = _literal(right_node)
        if isinstance(op, ast.In):
            def field_in(env: Mapping[str, Any]) -> bool | None:
                value = env.get(name)
                return None if value is None else value in literal
            return field_in
        if isinstance(op, ast.Eq):
            def field_equals(env: Mapping[str, Any]) -> bool | None:
                value = env.get(name)
                return None if value is None else value == literal
            return field_equals

        def field_compare(env: Mapping[str, Any]) -> bool | None:
            value = env.get(name)
            return None if value is None else compare(value, literal)
        return field_compare
    left, right = _compile_node(left_node), _compile_node(right_node)

    def run(env: Mapping[str, Any]) -> bool | None:
        a, b = left(env), right(env)
        return None if a is None or b is None else compare(a, b)
    return run


def _is_literal(node: ast.expr) -> bool:
    """A constant (never None: the type checker allows text, numbers and yes/no only) or a list of constants."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(isinstance(element, ast.Constant) and element.value is not None for element in node.elts)
    return isinstance(node, ast.Constant) and node.value is not None


def _literal(node: ast.expr) -> Any:
    """The value the walker would give for a literal: a new list each time for a list, which only
    'in' and 'not in' read (the same members in the same order, so a tuple made once will do)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return tuple(element.value for element in node.elts if isinstance(element, ast.Constant))
    assert isinstance(node, ast.Constant)
    return node.value


class _Evaluator:
    """Evaluates a type-checked tree with three-valued logic."""

    def __init__(self, env: Mapping[str, Any]):
        self.env = env

    def eval(self, node: ast.expr) -> Any:
        return getattr(self, "_eval_" + type(node).__name__)(node)

    def _eval_Name(self, node: ast.Name) -> Any:
        if node.id in _CONSTANT_NAMES:
            return _CONSTANT_NAMES[node.id]
        return self.env.get(node.id)

    def _eval_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _eval_List(self, node: ast.List | ast.Tuple) -> list[Any]:
        return [self.eval(element) for element in node.elts]

    _eval_Tuple = _eval_List

    def _eval_BoolOp(self, node: ast.BoolOp) -> bool | None:
        decisive = isinstance(node.op, ast.Or)  # 'or' is decided by a True, 'and' by a False
        unknown = False
        for operand in node.values:
            value = _truth(self.eval(operand))
            if value is None:
                unknown = True
            elif value is decisive:
                return decisive
        return None if unknown else not decisive

    def _eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.eval(node.operand)
        if value is None:
            return None
        if isinstance(node.op, ast.Not):
            return not _truth(value)
        return -value

    def _eval_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        return left - right

    def _eval_Call(self, node: ast.Call) -> float | None:
        duration = self.eval(node.args[0])
        if duration is None:
            return None
        assert isinstance(node.func, ast.Name) and isinstance(duration, dt.timedelta)
        return duration.total_seconds() / FUNCTIONS[node.func.id]

    def _eval_Compare(self, node: ast.Compare) -> bool | None:
        left, right = self.eval(node.left), self.eval(node.comparators[0])
        if left is None or right is None:
            return None
        op = node.ops[0]
        if isinstance(op, ast.In):
            return left in right
        if isinstance(op, ast.NotIn):
            return left not in right
        if isinstance(op, ast.Eq):
            return left == right
        if isinstance(op, ast.NotEq):
            return left != right
        if isinstance(op, ast.Lt):
            return left < right
        if isinstance(op, ast.LtE):
            return left <= right
        if isinstance(op, ast.Gt):
            return left > right
        return left >= right
