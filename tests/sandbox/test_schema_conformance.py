"""The sandbox's schema subset and the client's documents against Blink's real public schema."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    parse,
    validate,
)
from graphql.language import OperationDefinitionNode

from terminal.blink import documents
from terminal.sandbox.api import load_schema
from tests.sandbox import test_api_next, test_prices

REPO = Path(__file__).resolve().parents[2]
REAL_SCHEMA = REPO / ".." / "shared" / "blink" / "schema.graphql"

SAMPLE_DOCUMENTS = {
    "ME": "query Me { me { id username defaultAccount { id defaultWallet { id currency } } } }",
    "PAY": (
        "mutation P($input: LnInvoicePaymentInput!) { lnInvoicePaymentSend(input: $input) "
        "{ status errors { message code path } } }"
    ),
    "STATUS": (
        "subscription S($input: LnInvoicePaymentStatusByHashInput!) { "
        "lnInvoicePaymentStatusByHash(input: $input) "
        "{ errors { message } status paymentPreimage } }"
    ),
}


# The documents the client sends next (issues 10, 11, 14); the sandbox's tests run each of them.
NEXT_DOCUMENTS = {
    "CURRENCY_LIST": test_prices.CURRENCY_LIST,
    "REALTIME_PRICE": test_prices.REALTIME_PRICE,
    "PRICE_UPDATES": test_prices.PRICE_UPDATES,
    "MY_PRICES": test_prices.MY_PRICES,
    "GLOBALS": test_api_next.GLOBALS,
    "INVOICE_BY_HASH": test_api_next.INVOICE_BY_HASH,
    "LN_UPDATES": test_api_next.LN_UPDATES,
}


@pytest.fixture(scope="module")
def real() -> GraphQLSchema:
    """Blink's real schema; required in CI, optional on a machine without ../shared."""
    if not REAL_SCHEMA.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must check the sandbox against {REAL_SCHEMA}, which is missing")
        pytest.skip(f"{REAL_SCHEMA} is absent: Blink's real schema is kept beside the repository")
    return build_schema(REAL_SCHEMA.read_text())


@pytest.fixture(scope="module")
def subset() -> GraphQLSchema:
    return load_schema()


def _types(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    return [t for name, t in schema.type_map.items() if not name.startswith("__")]


def test_every_type_exists_with_the_same_kind(real: GraphQLSchema, subset: GraphQLSchema) -> None:
    for mine in _types(subset):
        theirs = real.get_type(mine.name)
        assert theirs is not None, f"{mine.name} is not in Blink's schema"
        assert type(theirs) is type(mine), f"{mine.name} is a {type(theirs).__name__} in Blink"


def test_every_field_and_argument_has_blinks_type(
    real: GraphQLSchema, subset: GraphQLSchema
) -> None:
    checked = 0
    for mine in _types(subset):
        theirs = real.get_type(mine.name)
        if isinstance(mine, GraphQLObjectType | GraphQLInterfaceType):
            assert isinstance(theirs, GraphQLObjectType | GraphQLInterfaceType)
            for name, field in mine.fields.items():
                assert name in theirs.fields, f"{mine.name}.{name} is not in Blink's schema"
                assert str(field.type) == str(theirs.fields[name].type), f"{mine.name}.{name}"
                for arg, value in field.args.items():
                    their_arg = theirs.fields[name].args.get(arg)
                    assert their_arg is not None, f"{mine.name}.{name}({arg}) is not in Blink's"
                    assert str(value.type) == str(their_arg.type), f"{mine.name}.{name}({arg})"
                required = {a for a, v in theirs.fields[name].args.items() if "!" in str(v.type)}
                assert required <= set(field.args), f"{mine.name}.{name} misses required args"
                checked += 1
            their_interfaces = {i.name for i in theirs.interfaces}
            assert {i.name for i in mine.interfaces} <= their_interfaces, mine.name
        elif isinstance(mine, GraphQLInputObjectType):
            assert isinstance(theirs, GraphQLInputObjectType)
            for name, field in mine.fields.items():
                assert str(field.type) == str(theirs.fields[name].type), f"{mine.name}.{name}"
            assert set(mine.fields) == set(theirs.fields), f"input {mine.name} differs"
        elif isinstance(mine, GraphQLEnumType):
            assert isinstance(theirs, GraphQLEnumType)
            assert set(mine.values) <= set(theirs.values), mine.name
        elif isinstance(mine, GraphQLUnionType):
            assert isinstance(theirs, GraphQLUnionType)
            assert {t.name for t in mine.types} == {t.name for t in theirs.types}, mine.name
    assert checked > 50


def _documents(module: ModuleType) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in vars(module).items():
        if name.startswith("_") or not isinstance(value, str):
            continue
        try:
            document = parse(value)
        except GraphQLError:  # not every string constant is GraphQL
            continue
        if any(isinstance(d, OperationDefinitionNode) for d in document.definitions):
            found[name] = value
    return found


def test_document_finder_finds_operations() -> None:
    module = ModuleType("sample")
    for name, text in SAMPLE_DOCUMENTS.items():
        setattr(module, name, text)
    module.NOT_GRAPHQL = "hello"  # type: ignore[attr-defined]
    assert set(_documents(module)) == set(SAMPLE_DOCUMENTS)


@pytest.mark.parametrize("name", sorted({**SAMPLE_DOCUMENTS, **NEXT_DOCUMENTS}))
def test_sample_and_next_documents_validate_against_both(
    real: GraphQLSchema, subset: GraphQLSchema, name: str
) -> None:
    document = parse({**SAMPLE_DOCUMENTS, **NEXT_DOCUMENTS}[name])
    assert validate(real, document) == []
    assert validate(subset, document) == []


def test_client_documents_validate_against_both(real: GraphQLSchema, subset: GraphQLSchema) -> None:
    # Every operation constant is found by scanning, so a new one cannot be left unchecked.
    found = _documents(documents)
    assert found, "terminal/blink/documents.py has no GraphQL documents to check"
    for name, text in found.items():
        document = parse(text)
        assert validate(real, document) == [], f"{name} is invalid against Blink's schema"
        assert validate(subset, document) == [], f"{name} is invalid against the sandbox's subset"
