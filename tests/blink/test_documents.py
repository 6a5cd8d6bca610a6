"""Every document the client sends, against Blink's real schema: valid, and nothing deprecated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, specified_rules, validate
from graphql.validation import NoDeprecatedCustomRule

from terminal.blink import documents

REAL_SCHEMA = Path(__file__).resolve().parents[2] / ".." / "shared" / "blink" / "schema.graphql"
RULES = [*specified_rules, NoDeprecatedCustomRule]


@pytest.fixture(scope="module")
def real() -> GraphQLSchema:
    """Blink's real schema; required in CI, optional on a machine without ../shared."""
    if not REAL_SCHEMA.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must check the client's documents against {REAL_SCHEMA}: missing")
        pytest.skip(f"{REAL_SCHEMA} is absent: Blink's real schema is kept beside the repository")
    return build_schema(REAL_SCHEMA.read_text())


def problems(schema: GraphQLSchema, text: str) -> list[str]:
    """Validation errors and deprecated fields, arguments or enum values ``text`` uses."""
    return [error.message for error in validate(schema, parse(text), RULES)]


# Every upper-case string in documents.py is a document: one that does not parse fails here.
DOCUMENTS = {
    name: value
    for name, value in vars(documents).items()
    if name.isupper() and isinstance(value, str)
}


def test_documents_were_found() -> None:
    assert {"MY_UPDATES", "LN_INVOICE_PAYMENT_SEND", "INVOICE_BY_HASH", "GLOBALS"} <= set(DOCUMENTS)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_and_uses_nothing_deprecated(real: GraphQLSchema, name: str) -> None:
    assert problems(real, DOCUMENTS[name]) == []


def test_the_check_sees_a_deprecated_field(real: GraphQLSchema) -> None:
    # The field the myUpdates document used to select: Blink deprecates it for the transaction.
    found = problems(real, "subscription { myUpdates { update { ... on LnUpdate { walletId } } } }")
    assert found == [
        "The field LnUpdate.walletId is deprecated. Deprecated in favor of transaction"
    ]


def test_the_check_sees_a_deprecated_enum_value_and_a_bad_field() -> None:
    # Blink's schema has no deprecated enum value today; this one shows the rule would catch it.
    schema = build_schema(
        """
        enum Speed { SLOW FAST @deprecated(reason: "use SLOW") }
        type Query { go(speed: Speed): Int }
        """
    )
    assert problems(schema, "{ go(speed: SLOW) }") == []
    assert problems(schema, "{ go(speed: FAST) }") == [
        "The enum value 'Speed.FAST' is deprecated. use SLOW"
    ]
    assert problems(schema, "{ went }") == ["Cannot query field 'went' on type 'Query'."]
