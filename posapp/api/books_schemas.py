"""Pydantic models of the books endpoints (the OpenAPI document is generated from them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from posapp.api.schemas import ListQuery, Page
from posapp.apidoc import Day, Money, MoneyIn, Request, Response, Timestamp
from posapp.models.books import ACCOUNT_KINDS, SOURCE_KINDS

Kind = Literal[ACCOUNT_KINDS]  # type: ignore[valid-type]
SourceKind = Literal[SOURCE_KINDS]  # type: ignore[valid-type]


class AtQuery(BaseModel):
    at: Day | None = Field(default=None, description="The day whose end is meant (default today).")


class PeriodQuery(BaseModel):
    from_: Day | None = Field(
        default=None, alias="from", description="First day (default 29 days before `to`)."
    )
    to: Day | None = Field(default=None, description="Last day (default today).")


class JournalQuery(ListQuery, PeriodQuery):
    account: str | None = Field(
        default=None, max_length=16, description="Only entries with a line on this account code."
    )


class AccountBalance(Response):
    id: int
    code: str = Field(examples=["1100"])
    name: str
    kind: Kind
    parent_id: int | None = Field(description="The account it rolls up into (null: top level).")
    system_key: str | None = Field(description="The posting rules' name for a standard account.")
    methods: list[Literal["card", "upi", "bank"]] = Field(
        description="Bank accounts: the payment methods that settle into it."
    )
    archived: bool
    debit: Money = Field(description="Its balance with its sub-accounts, when debit.")
    credit: Money = Field(description="Its balance with its sub-accounts, when credit.")


class AccountList(Response):
    at: Day
    accounts: list[AccountBalance]


class JournalLine(Response):
    account_code: str
    account_name: str
    debit: Money
    credit: Money
    customer_id: int | None
    supplier_id: int | None


class JournalEntry(Response):
    id: int
    day: Day = Field(description="The shop's business day the entry is in.")
    created_at: Timestamp
    source_kind: SourceKind
    source_id: int | None = Field(description="The row of the event that posted it.")
    reference: str = Field(description="The document's number, if it has one.")
    narration: str
    reverses_id: int | None = Field(description="The entry this one reverses.")
    lines: list[JournalLine]


class JournalPage(Page):
    items: list[JournalEntry]


class ManualLine(Request):
    account: str = Field(description="An account code (or id).", examples=["3200"])
    debit: MoneyIn | None = None
    credit: MoneyIn | None = None
    party: str | None = Field(
        default=None,
        description="On the customers' account `c:<customer id>`, on the suppliers' `s:<id>`.",
    )


class ManualEntry(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "day": "2026-11-22",
                    "narration": "Owner took cash for home",
                    "lines": [
                        {"account": "3200", "debit": "500.00"},
                        {"account": "1100", "credit": "500.00"},
                    ],
                }
            ]
        }
    )

    day: Day
    narration: str = Field(max_length=300)
    lines: list[ManualLine] = Field(min_length=2, max_length=50)


class TrialBalanceRow(Response):
    code: str
    name: str
    kind: Kind
    debit: Money
    credit: Money


class TrialBalance(Response):
    at: Day
    accounts: list[TrialBalanceRow] = Field(
        description="Top-level accounts with a balance; sub-accounts roll up into them."
    )
    total_debit: Money
    total_credit: Money


class StatementLine(Response):
    code: str = Field(description="Empty on a heading or subtotal.")
    name: str
    depth: int = Field(ge=0, description="0: top level; sub-accounts and section items deeper.")
    amount: Money | None = Field(description="null on a section heading.")


class ProfitAndLoss(Response):
    from_: Day = Field(alias="from")
    to: Day
    sales: Money
    sales_returns: Money
    net_sales: Money
    cogs: Money
    gross_profit: Money = Field(description="Net sales − cost of goods sold.")
    other_income: Money
    expenses: Money
    net_profit: Money = Field(description="Negative: a loss.")
    lines: list[StatementLine]


class BalanceSheet(Response):
    at: Day
    assets: Money
    liabilities: Money = Field(description="Including GST payable (output − input).")
    gst_payable: Money
    equity: Money = Field(description="Including the profit to date.")
    retained_profit: Money
    lines: list[StatementLine]
