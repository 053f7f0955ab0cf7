"""Product search: FTS5 word prefixes, codes, fuzzy near misses, filters, sort, paging."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import User
from posapp.services import catalog, inventory
from tests.conftest import build_app
from tests.factories import make_product


def names(**kwargs: object) -> list[str]:
    items, _ = catalog.search_products(db.session, **kwargs)  # type: ignore[arg-type]
    return [p.name for p in items]


def test_word_prefixes_codes_and_fuzzy_matches(admin: User) -> None:
    make_product(db.session, name="Tata Salt 1kg", code="8901058000016", category="Grocery")
    make_product(db.session, name="Basmati Rice", code="R-100", category="Grains")
    make_product(db.session, name="Rock Salt", code="R-200", category="Grocery")
    make_product(db.session, name="Tata Tea Gold", code="T-1", category="Beverages")
    assert names(q="sal") == ["Rock Salt", "Tata Salt 1kg"]
    assert names(q="tata sa") == ["Tata Salt 1kg"]
    assert names(q="Tata") == ["Tata Salt 1kg", "Tata Tea Gold"]
    assert names(q="R-") == ["Basmati Rice", "Rock Salt"]  # code prefix
    assert names(q="8901058000016") == ["Tata Salt 1kg"]
    assert names(q="basmti")[0] == "Basmati Rice"  # a typo still finds it
    assert names(q='"*) OR (') == []  # FTS syntax is never passed through
    assert names(q="salt", category="grocery") == ["Rock Salt", "Tata Salt 1kg"]


@pytest.mark.sqlite_only("reads the FTS5 index itself; servers search names with LIKE")
def test_the_index_follows_renames_and_new_products(admin: User) -> None:
    dal = make_product(db.session, name="Moong Dal")
    catalog.update_product(db.session, dal.id, {"name": "Masoor Dal"}, admin.id)
    old = "SELECT count(*) FROM products_fts WHERE products_fts MATCH 'moong'"
    assert db.session.execute(text(old)).scalar() == 0
    assert names(q="masoor") == ["Masoor Dal"]
    count = db.session.execute(text("SELECT count(*) FROM products_fts")).scalar()
    assert count == 1


def test_filters_sort_and_paging(admin: User) -> None:
    make_product(db.session, name="A", price="30", opening_stock="0")
    make_product(db.session, name="B", price="10", opening_stock="2", low_stock_threshold="5")
    c = make_product(db.session, name="C", price="20", opening_stock="50")
    catalog.archive_product(db.session, c.id, admin.id)
    assert names(low_stock=True) == ["A", "B"]
    assert names(out_of_stock=True) == ["A"]
    assert names(archived_only=True) == ["C"]
    assert names(include_archived=True, sort="-price") == ["A", "C", "B"]
    assert names(sort="stock") == ["A", "B"]
    items, total = catalog.search_products(db.session, page=2, per_page=1)
    assert ([p.name for p in items], total) == (["B"], 2)
    assert inventory.low_stock_count(db.session) == 2


def test_keyset_pages_match_offset_pages(admin: User) -> None:
    for name in ["Pen", "Ink", "Bag", "Cup", "Mat", "Box", "Jar"]:
        make_product(db.session, name=name)
    gone = make_product(db.session, name="Dye")
    catalog.archive_product(db.session, gone.id, admin.id)
    by_offset = [names(page=page, per_page=3) for page in (1, 2, 3)]
    assert by_offset == [["Bag", "Box", "Cup"], ["Ink", "Jar", "Mat"], ["Pen"]]
    walked, after = [], None
    for _ in range(3):
        items, total = catalog.search_products(db.session, per_page=3, after=after)
        walked.append([p.name for p in items])
        after = items[-1].id
    assert walked == by_offset and total == 7
    back, _ = catalog.search_products(db.session, per_page=3, before=after)
    assert [p.name for p in back] == ["Ink", "Jar", "Mat"]
    first = catalog.search_products(db.session, per_page=3, before=back[0].id)[0]
    assert [p.name for p in first] == ["Bag", "Box", "Cup"]
    # A search or another sort ignores the cursor and pages by number.
    assert names(q="pen", after=after) == ["Pen"]
    assert names(sort="-name", per_page=2, after=after) == ["Pen", "Mat"]
    assert names(per_page=3, after=999_999) == ["Bag", "Box", "Cup"]  # unknown id: page 1


@pytest.mark.sqlite_only("the name-index walk pages FTS5 matches; servers search names with LIKE")
def test_big_result_sets_page_through_the_name_index_in_the_same_order(
    admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Names that start with the typed word (in several capitalisations) and names that only
    # contain it, an archived match, and a code prefix; every page must be the same whether
    # it comes from sorting every match or from walking the name index.
    for name in [
        "Salt Lite",
        "salty nuts",
        "SALT Rock",
        "Tata Salt",
        "Rock Salt",
        "Sea Salt Fine",
        "Saltine Crackers",
        "Black Salt",
        "Zebra Salt",
        "Apple Salted Chips",
        "Sal Leaves",
    ]:
        make_product(db.session, name=name)
    gone = make_product(db.session, name="Salt Old")
    catalog.archive_product(db.session, gone.id, admin.id)
    make_product(db.session, name="Plain Box", code="SAL-9")
    queries = ["sal", "Salt", "salt", "SAL", "s", "rock sa"]
    pages = [(page, per_page) for per_page in (1, 3, 4, 50) for page in (1, 2, 3, 4)]

    def answers() -> list[tuple[list[str], int]]:
        out = []
        for q in queries:
            for page, per_page in pages:
                items, total = catalog.search_products(
                    db.session, q=q, page=page, per_page=per_page
                )
                out.append(([p.name for p in items], total))
        return out

    monkeypatch.setattr(catalog, "QUICK_SEARCH_FROM", 10**9)  # always the general query
    general = answers()
    monkeypatch.setattr(catalog, "QUICK_SEARCH_FROM", 0)  # always the name index
    assert answers() == general
    # q="sal", one per page: names starting with it come first, by (binary) name.
    assert general[0] == (["SALT Rock"], 12)


@pytest.mark.sqlite_only("reads sqlite_stat1; the servers keep their own statistics")
def test_every_start_gives_the_query_planner_statistics(data_dir: Path) -> None:
    # Without them SQLite walked every product's `archived` index entry for a search that
    # matches a handful of ids; with them it looks the ids up.
    first = build_app(data_dir)
    with first.app_context():
        for i in range(30):
            make_product(db.session, name=f"Sugar {i}")
        db.session.remove()
        db.engine.dispose()
    again = build_app(data_dir)
    with again.app_context():
        stats = db.session.execute(
            text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'products' LIMIT 1")
        ).scalar()
        assert stats is not None and int(stats.split()[0]) == 30
        plan = " ".join(
            str(row[3])
            for row in db.session.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM products WHERE archived IS 0 AND id IN "
                    "(SELECT rowid FROM products_fts WHERE products_fts MATCH 'sugar*')"
                )
            )
        )
        # The ids are looked up (by rowid), not found by walking an index of every product.
        assert "rowid=?" in plan or "INTEGER PRIMARY KEY" in plan, plan
        db.session.remove()
        db.engine.dispose()


@pytest.mark.sqlite_only("SQLite's partial-index rule; the servers plan with their own")
def test_the_name_check_of_every_save_reads_the_unique_name_index(admin: User) -> None:
    from sqlalchemy import select

    from posapp.models import Product
    from posapp.models.catalog import active_named

    make_product(db.session, name="Rock Salt")
    query = select(Product.id).where(*active_named("ROCK SALT"))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = " ".join(str(row[3]) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    # With `archived IS 0` SQLite could not use the partial index and read every product.
    assert "uq_products_active_name" in plan, plan
    assert db.session.scalar(query) is not None


def test_aliases_find_products_and_an_exact_alias_comes_first(admin: User) -> None:
    make_product(db.session, name="Sugar (loose)", unit="kg", aliases="Chini, cheeni , SHAKKAR")
    make_product(db.session, name="Chini Mini Biscuits")
    make_product(db.session, name="Kohinoor Basmati Rice 1 kg")
    make_product(db.session, name="Aashirvaad Ghee 1 l")
    make_product(
        db.session, name="Aashirvaad Whole Wheat Atta 5 kg", aliases="aata, atta, gehun ka aata"
    )
    old = make_product(db.session, name="Old Sugar", aliases="chini")
    catalog.archive_product(db.session, old.id, admin.id)
    # A name that merely starts with the word comes after the product the word names.
    assert names(q="chini") == ["Sugar (loose)", "Chini Mini Biscuits"]
    assert names(q="Chee") == ["Sugar (loose)"]  # an alias prefix, any case
    assert names(q="shakkar") == ["Sugar (loose)"]
    assert names(q="aata") == ["Aashirvaad Whole Wheat Atta 5 kg"]  # not the ghee
    assert names(q="atta") == ["Aashirvaad Whole Wheat Atta 5 kg"]
    assert names(q="gehun ka aata") == ["Aashirvaad Whole Wheat Atta 5 kg"]
    assert names(q="aashirvaad") == ["Aashirvaad Ghee 1 l", "Aashirvaad Whole Wheat Atta 5 kg"]
    # Filters and sorting still apply; an archived product's alias finds nothing at the till.
    assert names(q="chini", sort="-name") == ["Sugar (loose)", "Chini Mini Biscuits"]
    assert "Old Sugar" in names(q="chini", include_archived=True)


def test_changed_aliases_are_searched_at_once(admin: User) -> None:
    sugar = make_product(db.session, name="Sugar", aliases="mithas")
    assert sugar.aliases == "mithas"
    catalog.update_product(db.session, sugar.id, {"aliases": "Shakkar, cheeni"}, admin.id)
    assert db.session.get(type(sugar), sugar.id).aliases == "shakkar,cheeni"  # type: ignore[union-attr]
    assert names(q="mithas") == []
    assert names(q="cheeni") == ["Sugar"]
    assert names(q="chini") == ["Sugar"]  # sounds like "cheeni" (services/translit.py)
    catalog.update_product(db.session, sugar.id, {"aliases": ""}, admin.id)
    assert names(q="cheeni") == []


def test_an_exact_alias_comes_first_among_many_matches(
    admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The quick name-index path (many matches): a low threshold stands in for 200 products.
    monkeypatch.setattr(catalog, "QUICK_SEARCH_FROM", 3)
    for n in range(6):
        make_product(db.session, name=f"Dal Biscuit {n}")
    make_product(db.session, name="Toor Dal (loose)", unit="kg", aliases="dal, arhar dal")
    make_product(db.session, name="Moong Dal (loose)", unit="kg", aliases="daal, moong")
    first, total = catalog.search_products(db.session, q="dal", per_page=3)
    assert total == 8
    assert [p.name for p in first] == ["Toor Dal (loose)", "Dal Biscuit 0", "Dal Biscuit 1"]
    second, _ = catalog.search_products(db.session, q="dal", per_page=3, page=2)
    assert [p.name for p in second] == ["Dal Biscuit 2", "Dal Biscuit 3", "Dal Biscuit 4"]
    third, _ = catalog.search_products(db.session, q="dal", per_page=3, page=3)
    assert [p.name for p in third] == ["Dal Biscuit 5", "Moong Dal (loose)"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (", ".join(f"word{n}" for n in range(13)), "At most 12 aliases (there are 13)."),
        ("chini, " + "x" * 31, "Each alias at most 30 characters"),
        ("a" * 401, "at most 400 characters"),
        ("chini, --", "has no letters or digits"),
        (["chini", 3], "Aliases are words separated by commas."),
        ("chini, ch\x00ini", "Aliases cannot contain control characters."),
    ],
)
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_bad_aliases_are_refused_with_a_clear_message(
    admin: User, typed: object, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        make_product(db.session, name="Sugar", aliases=typed)
    assert message in caught.value.fields["aliases"]
    assert names(q="sugar") == []  # nothing was written


def test_aliases_are_normalised_and_deduplicated() -> None:
    assert catalog.parse_aliases(" Chini,cheeni ,, CHINI,  gehun   ka  aata ") == (
        "chini,cheeni,gehun ka aata"
    )
    assert catalog.parse_aliases(["Aata", "atta"]) == "aata,atta"
    assert catalog.aliases_text("aata,atta") == "aata, atta"
    assert catalog.parse_aliases("") == ""


def test_hostile_searches_with_aliases_answer_plainly(admin: User) -> None:
    make_product(db.session, name="Sugar", aliases='chini, "quoted" word')
    for q in ("a\x00b", '"', '" OR "', "chini*", "-", "chini,", ",", "%", "_"):
        names(q=q)  # no error, whatever matches
    assert names(q='"quoted" word') == ["Sugar"]
    assert names(q="%") == []
