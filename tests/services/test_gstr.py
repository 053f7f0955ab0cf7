"""GSTR-1 and GSTR-3B over the hand-computed November of tests/gstr_data.py.

The expected CSVs are written by hand in tests/services/data/gstr1/ and compared exactly; the
JSON is compared as parsed objects (numbers read as Decimal); GSTR-3B against hand figures and
against sums over the month's documents.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from posapp.errors import Conflict, ValidationError
from posapp.extensions import db
from posapp.models import CreditNote, Invoice, User
from posapp.models.base import write_transaction
from posapp.services import gstr
from posapp.services.settings import load_settings, save_settings
from tests.gstr_data import ASHA_GSTIN, BENGALURU_GSTIN, SHOP_GSTIN, Month, seed_month

DATA = Path(__file__).parent / "data" / "gstr1"
NOVEMBER = gstr.month_period(2026, 11)
D = Decimal


@pytest.fixture
def month(admin: User) -> Month:
    return seed_month(db.session, admin)


def _shop() -> gstr.Shop:
    return gstr.Shop.of(load_settings(db.session))


def test_the_zip_holds_every_table_exactly_as_written_by_hand(month: Month) -> None:
    out = io.BytesIO()
    gstr.gstr1_zip(db.session, NOVEMBER, _shop(), out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        names = set(archive.namelist())
        csvs = {path.name for path in DATA.glob("*.csv")}
        assert names == csvs | {f"GSTR1_{SHOP_GSTIN}_112026.json"}
        for name in sorted(csvs):
            raw = archive.read(name)
            assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # BOM + CRLF, as csv_io
            expected = (DATA / name).read_text(encoding="utf-8").splitlines()
            assert raw.decode("utf-8-sig").splitlines() == expected, name
        text = archive.read(f"GSTR1_{SHOP_GSTIN}_112026.json").decode()
    assert '"val":879.00' in text  # numbers with 2 decimals, never strings or floats
    assert json.loads(text, parse_float=Decimal) == _expected_json()


def _det(rt: int, txval: str, **heads: str) -> dict[str, Any]:
    det: dict[str, Any] = {"rt": D(rt), "txval": D(txval)}
    det.update({key: D(value) for key, value in heads.items()})
    return det


def _expected_json() -> dict[str, Any]:
    intra = {"iamt": "0.00"}
    none = {"camt": "0.00", "samt": "0.00"}
    return {
        "gstin": SHOP_GSTIN,
        "fp": "112026",
        "b2b": [
            {
                "ctin": ASHA_GSTIN,
                "inv": [
                    {
                        "inum": "INV2026-000001",
                        "idt": "02-11-2026",
                        "val": D("879.00"),
                        "pos": "27",
                        "rchrg": "N",
                        "inv_typ": "R",
                        "itms": [
                            {
                                "num": 501,
                                "itm_det": _det(
                                    5, "500", **intra, camt="12.50", samt="12.50", csamt="0"
                                ),
                            },
                            {
                                "num": 1801,
                                "itm_det": _det(
                                    18, "300", **intra, camt="27", samt="27", csamt="0"
                                ),
                            },
                        ],
                    }
                ],
            },
            {
                "ctin": BENGALURU_GSTIN,
                "inv": [
                    {
                        "inum": "INV2026-000002",
                        "idt": "03-11-2026",
                        "val": D("590"),
                        "pos": "29",
                        "rchrg": "N",
                        "inv_typ": "R",
                        "itms": [
                            {"num": 1801, "itm_det": _det(18, "500", iamt="90", **none, csamt="0")}
                        ],
                    }
                ],
            },
        ],
        "b2cl": [
            {
                "pos": "24",
                "inv": [
                    {
                        "inum": "INV2026-000005",
                        "idt": "06-11-2026",
                        "val": D("141836"),
                        "itms": [
                            {"num": 1801, "itm_det": _det(18, "120200", iamt="21636", csamt="0")}
                        ],
                    }
                ],
            }
        ],
        "b2cs": [
            {
                "sply_ty": "INTRA",
                "pos": "27",
                "typ": "OE",
                "rt": D(5),
                "txval": D("50"),
                "camt": D("1.25"),
                "samt": D("1.25"),
                "csamt": D(0),
            },
            {
                "sply_ty": "INTRA",
                "pos": "27",
                "typ": "OE",
                "rt": D(18),
                "txval": D("100"),
                "camt": D("9"),
                "samt": D("9"),
                "csamt": D(0),
            },
        ],
        "cdnr": [
            {
                "ctin": ASHA_GSTIN,
                "nt": [
                    {
                        "ntty": "C",
                        "nt_num": "CN2026-000001",
                        "nt_dt": "20-11-2026",
                        "val": D("118"),
                        "pos": "27",
                        "rchrg": "N",
                        "inv_typ": "R",
                        "itms": [
                            {
                                "num": 1801,
                                "itm_det": _det(18, "100", **intra, camt="9", samt="9", csamt="0"),
                            }
                        ],
                    }
                ],
            }
        ],
        "cdnur": [
            {
                "typ": "B2CL",
                "ntty": "C",
                "nt_num": "CN2026-000003",
                "nt_dt": "22-11-2026",
                "val": D("118"),
                "pos": "24",
                "itms": [{"num": 1801, "itm_det": _det(18, "100", iamt="18", csamt="0")}],
            }
        ],
        "nil": {
            "inv": [
                {"sply_ty": t, "nil_amt": D(n), "expt_amt": D(0), "ngsup_amt": D(0)}
                for t, n in (("INTRB2B", 0), ("INTRAB2B", 0), ("INTRB2C", 0), ("INTRAB2C", 20))
            ]
        },
        "hsn": {
            "hsn_b2b": [
                _hsn(1, "1006", "KGS", "10", 5, "500", "0", "12.50", "12.50"),
                _hsn(2, "3401", "NOS", "7", 18, "700", "90", "18", "18"),
            ],
            "hsn_b2c": [
                _hsn(1, "1006", "KGS", "1", 5, "50", "0", "1.25", "1.25"),
                _hsn(2, "2501", "NOS", "1", 0, "20", "0", "0", "0"),
                _hsn(3, "3401", "NOS", "2", 18, "200", "18", "9", "9"),
                _hsn(4, "8528", "NOS", "1", 18, "120000", "21600", "0", "0"),
            ],
        },
        "doc_issue": {
            "doc_det": [
                {
                    "doc_num": 1,
                    "doc_typ": "Invoices for outward supply",
                    "docs": [
                        {
                            "num": 1,
                            "from": "INV2026-000001",
                            "to": "INV2026-000006",
                            "totnum": 6,
                            "cancel": 1,
                            "net_issue": 5,
                        }
                    ],
                },
                {
                    "doc_num": 5,
                    "doc_typ": "Credit Note",
                    "docs": [
                        {
                            "num": 1,
                            "from": "CN2026-000001",
                            "to": "CN2026-000003",
                            "totnum": 3,
                            "cancel": 0,
                            "net_issue": 3,
                        }
                    ],
                },
            ]
        },
    }


def _hsn(
    num: int, code: str, unit: str, qty: str, rt: int, txval: str, i: str, c: str, s: str
) -> dict[str, Any]:
    return {
        "num": num,
        "hsn_sc": code,
        "desc": "",
        "uqc": unit,
        "qty": D(qty),
        "rt": D(rt),
        "txval": D(txval),
        "iamt": D(i),
        "camt": D(c),
        "samt": D(s),
        "csamt": D(0),
    }


def test_gstr3b_matches_the_hand_figures_and_the_documents(month: Month) -> None:
    summary = gstr.gstr3b(db.session, NOVEMBER, _shop())
    # 3.1(a): taxed lines 80000 + 50000 + 10000 + 10000 + 12020000 less notes 25000.
    out = summary.outward
    assert (out.taxable, out.igst, out.cgst, out.sgst, out.cess) == (
        12145000,
        2170800,
        4075,
        4075,
        0,
    )
    assert summary.nil_exempt.taxable == 2000  # the salt
    only = summary.unregistered_inter["24"]
    assert list(summary.unregistered_inter) == ["24"]
    assert (only.taxable, only.igst) == (12010000, 2161800)
    itc = summary.itc_other  # PUR1 only: PUR2 has no GSTIN, PUR3 is October's bill
    assert (itc.taxable, itc.igst, itc.cgst, itc.sgst, itc.cess) == (140000, 0, 7400, 7400, 0)
    assert summary.itc_bills == 1

    # The same totals straight from the documents (void invoice left out).
    invoices = [i for i in month.invoices if i.status != "void"]
    sold = sum(line.taxable for i in invoices for line in i.lines)
    back = sum(line.taxable for n in db.session.query(CreditNote) for line in n.lines)
    assert summary.outward.taxable + summary.nil_exempt.taxable == sold - back
    for head in ("igst", "cgst", "sgst"):
        total = sum(getattr(line, head) for i in invoices for line in i.lines)
        total -= sum(getattr(line, head) for n in month.notes for line in n.lines)
        assert getattr(summary.outward, head) == total

    data = json.loads(gstr.json_text(summary.json()), parse_float=Decimal)
    assert data["ret_period"] == "112026"
    assert data["sup_details"]["osup_det"] == {
        "txval": D("121450"),
        "iamt": D("21708"),
        "camt": D("40.75"),
        "samt": D("40.75"),
        "csamt": D(0),
    }
    assert data["sup_details"]["osup_nil_exmp"] == {"txval": D("20")}
    assert data["inter_sup"]["unreg_details"] == [
        {"pos": "24", "txval": D("120100"), "iamt": D("21618")}
    ]
    other = [row for row in data["itc_elg"]["itc_avl"] if row["ty"] == "OTH"]
    assert other == [{"ty": "OTH", "iamt": D(0), "camt": D(74), "samt": D(74), "csamt": D(0)}]
    assert data["itc_elg"]["itc_net"] == {
        "iamt": D(0),
        "camt": D(74),
        "samt": D(74),
        "csamt": D(0),
    }
    rows = gstr.gstr3b_report(summary).rows
    assert [row[0][:7] for row in rows] == ["3.1(a) ", "3.1(c) ", "3.2 Int", "4(A)(5)"]


def test_another_month_holds_only_its_own_documents(month: Month) -> None:
    october = gstr.month_period(2026, 10)
    shop = _shop()
    assert gstr.gstr1_data(db.session, october, shop) == {"gstin": SHOP_GSTIN, "fp": "102026"}
    for table in gstr.TABLES:
        report = table.build(db.session, october, shop)
        assert report.rows == [] or table.key == "exemp", table.key
    summary = gstr.gstr3b(db.session, october, shop)
    assert summary.outward.taxable == 0
    # PUR3 was entered in November but billed on 30 October: its credit is October's.
    assert (summary.itc_other.taxable, summary.itc_other.cgst) == (6000, 540)


def test_a_page_reads_the_first_rows_but_totals_everything(month: Month) -> None:
    shop = _shop()
    whole = gstr.b2b(db.session, NOVEMBER, shop)
    page = gstr.b2b(db.session, NOVEMBER, shop, limit=1)
    assert page.rows == whole.rows[:1] and page.row_count == 3
    assert page.totals == whole.totals == {"Invoice Value": 87900 * 2 + 59000,
                                          "Taxable Value": 130000, "Cess Amount": 0}  # fmt: skip
    streamed = gstr.b2b(db.session, NOVEMBER, shop, stream=True)
    assert list(gstr.csv_rows(streamed)) == list(gstr.csv_rows(whole))


def test_a_shop_without_gstin_or_on_composition_gets_a_clear_refusal(app: Any) -> None:
    with pytest.raises(Conflict) as caught:
        _shop()
    assert caught.value.code == "no_gstin" and "GSTIN" in caught.value.message
    with write_transaction(db.session):
        save_settings(db.session, tax_number=SHOP_GSTIN, composition_scheme=True)
    with pytest.raises(Conflict) as caught:
        _shop()
    assert caught.value.code == "composition_scheme"
    with write_transaction(db.session):
        save_settings(db.session, composition_scheme=False)
    assert _shop() == gstr.Shop(SHOP_GSTIN, "27")  # the state from the GSTIN when unset


@pytest.mark.parametrize(
    "raw", ["2026-13", "2026-00", "26-11", "2026/11", "x", "2017-06", "2026-1"]
)
def test_months_are_parsed_strictly(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        gstr.parse_month(raw, date(2026, 12, 5))
    assert caught.value.fields == {"month": caught.value.message}


def test_month_defaults_and_formats() -> None:
    assert gstr.parse_month(None, date(2026, 1, 5)) == gstr.Period(
        date(2025, 12, 1), date(2025, 12, 31)
    )
    feb = gstr.parse_month(" 2028-02 ", date(2026, 1, 5))
    assert (feb.end, feb.fp, feb.value) == (date(2028, 2, 29), "022028", "2028-02")
    assert [gstr.rate_text(bp) for bp in (0, 25, 300, 750, 1800, 4000)] == [
        "0", "0.25", "3", "7.5", "18", "40",
    ]  # fmt: skip
    assert gstr.csv_date(date(2026, 5, 3)) == "03-May-2026"
    assert gstr.json_text({"a": [gstr.amount(-5), gstr.amount(0), "₹"]}) == '{"a":[-0.05,0.00,"₹"]}'
    with pytest.raises(TypeError):
        gstr.json_text({"a": 0.1})


def test_b2cl_takes_the_threshold_of_the_invoice_date(month: Month) -> None:
    """Rs 2.5 lakh until July 2024, Rs 1 lakh after: the same invoice moves between tables."""
    with write_transaction(db.session):
        big = db.session.get(Invoice, month.invoices[4].id)
        assert big is not None
        big.total = 100000_00  # exactly the limit is not "above" it
    shop = _shop()
    assert gstr.b2cl(db.session, NOVEMBER, shop).rows == []
    assert [row[1] for row in gstr.b2cs(db.session, NOVEMBER, shop).rows] == [
        "24-Gujarat",
        "27-Maharashtra",
        "27-Maharashtra",
    ]
    with write_transaction(db.session):
        big = db.session.get(Invoice, month.invoices[4].id)
        assert big is not None
        big.total = 100000_01
    assert len(gstr.b2cl(db.session, NOVEMBER, shop).rows) == 1
