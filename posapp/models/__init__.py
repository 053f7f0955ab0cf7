"""Typed SQLAlchemy models, one module per area; imported here so Alembic sees them all."""

from posapp.models.books import ACCOUNT_KINDS, Account, AccountDay, JournalEntry, JournalLine
from posapp.models.cash import MOVEMENT_KINDS, CashMovement, CashSession
from posapp.models.catalog import (
    MOVEMENT_REASONS,
    Category,
    Product,
    Purchase,
    PurchaseLine,
    StockMovement,
)
from posapp.models.customers import LEDGER_KINDS, Customer, LedgerEntry, PaymentAllocation
from posapp.models.displays import DisplayDevice
from posapp.models.expenses import EXPENSE_CATEGORIES, Expense
from posapp.models.held import HeldBill
from posapp.models.hq import HqDown, HqRecord, HqShop, HqTransfer
from posapp.models.hq_views import (
    HqAudit,
    HqCreditNote,
    HqCreditNoteTax,
    HqCustomer,
    HqDaily,
    HqInvoice,
    HqInvoiceTax,
    HqJournalLine,
    HqLedgerEntry,
    HqStock,
)
from posapp.models.locks import WriterLock
from posapp.models.orders import (
    FULFILMENTS,
    ORDER_SOURCES,
    ORDER_STATUSES,
    PAYMENT_PLANS,
    IdempotencyKey,
    Order,
    OrderEvent,
    OrderLine,
)
from posapp.models.reports import DailySales
from posapp.models.returns import REFUND_METHODS, CreditNote, CreditNoteLine
from posapp.models.sales import (
    INVOICE_STATUSES,
    PAYMENT_METHODS,
    DocumentCounter,
    Invoice,
    InvoiceLine,
    Payment,
)
from posapp.models.settings import AuditLog, Setting
from posapp.models.suppliers import (
    SUPPLIER_PAYMENT_METHODS,
    DebitNote,
    DebitNoteLine,
    Supplier,
    SupplierAllocation,
    SupplierPayment,
)
from posapp.models.sync import SyncOutbox
from posapp.models.users import ROLES, ApiToken, LoginAttempt, User

__all__ = [
    "ACCOUNT_KINDS",
    "EXPENSE_CATEGORIES",
    "FULFILMENTS",
    "INVOICE_STATUSES",
    "LEDGER_KINDS",
    "MOVEMENT_KINDS",
    "MOVEMENT_REASONS",
    "ORDER_SOURCES",
    "ORDER_STATUSES",
    "PAYMENT_METHODS",
    "PAYMENT_PLANS",
    "REFUND_METHODS",
    "ROLES",
    "SUPPLIER_PAYMENT_METHODS",
    "Account",
    "AccountDay",
    "ApiToken",
    "AuditLog",
    "CashMovement",
    "CashSession",
    "Category",
    "CreditNote",
    "CreditNoteLine",
    "Customer",
    "DailySales",
    "DebitNote",
    "DebitNoteLine",
    "DisplayDevice",
    "DocumentCounter",
    "Expense",
    "HeldBill",
    "HqAudit",
    "HqCreditNote",
    "HqCreditNoteTax",
    "HqCustomer",
    "HqDaily",
    "HqDown",
    "HqInvoice",
    "HqInvoiceTax",
    "HqJournalLine",
    "HqLedgerEntry",
    "HqRecord",
    "HqShop",
    "HqStock",
    "HqTransfer",
    "IdempotencyKey",
    "Invoice",
    "InvoiceLine",
    "JournalEntry",
    "JournalLine",
    "LedgerEntry",
    "LoginAttempt",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Payment",
    "PaymentAllocation",
    "Product",
    "Purchase",
    "PurchaseLine",
    "Setting",
    "StockMovement",
    "Supplier",
    "SupplierAllocation",
    "SupplierPayment",
    "SyncOutbox",
    "User",
    "WriterLock",
]
