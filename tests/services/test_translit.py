"""Search across scripts: phonetic keys (services/translit.py) and the search that uses them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import inspect, select, text

from posapp import MIGRATIONS_DIR
from posapp.extensions import db
from posapp.models import Product, User
from posapp.services import catalog, catalog_csv, translit
from tests.factories import make_product

REVISION = "b23d5f7a9c12"
DOWN = "a22c4e6f8b10"


def key(word: str) -> str:
    (only,) = translit.words(word)
    return translit.word_key(only)


def names(**kwargs: object) -> list[str]:
    items, _ = catalog.search_products(db.session, **kwargs)  # type: ignore[arg-type]
    return [p.name for p in items]


@pytest.mark.parametrize(
    "spellings",
    [
        ("cheeni", "chini", "CHINI", "चीनी"),
        ("moong", "mung", "मूंग"),
        ("daal", "dal", "दाल"),
        ("atta", "aata", "आटा", "अट्टा"),
        ("chawal", "chaval", "चावल"),
        ("shakkar", "sakkar", "शक्कर"),
        ("namkeen", "namkin", "नमकीन"),
        ("jeera", "zeera", "जीरा", "ज़ीरा"),
        ("coffee", "kofi", "कॉफ़ी"),
        ("paneer", "panir", "पनीर"),
        ("masoor", "masur", "मसूर"),
        ("sarson", "सरसों"),
        ("saunf", "sonf", "सौंफ"),
        ("haldi", "हल्दी"),
        ("gehun", "गेहूँ"),
        ("besan", "बेसन"),
        ("makhana", "मखाना"),
        ("10", "१०"),
    ],
)
def test_spellings_of_one_word_share_a_key(spellings: tuple[str, ...]) -> None:
    assert len({key(word) for word in spellings}) == 1, {word: key(word) for word in spellings}


def test_keys_are_told_apart_where_the_sound_differs() -> None:
    assert len({key(w) for w in ("chini", "chana", "chai", "dal", "doodh", "dahi")}) == 6
    # A half-typed word's key starts its whole key, so the prefix search finds it.
    assert key("cheeni").startswith(key("chee"))
    assert key("चीनी").startswith(key("चीन"))
    assert key("chawal").startswith(key("chaw"))


def test_romanisation_follows_hindi_schwa_deletion() -> None:
    assert [translit.romanise(translit.words(w)[0]) for w in ("दाल", "नमकीन", "चावल", "कमल")] == [
        "daal",
        "namkiin",
        "chaaval",
        "kamal",
    ]


def test_stored_keys_mark_the_other_script_and_fit_their_columns() -> None:
    assert translit.name_key("चीनी 1 kg") == "xcini 1 kg"
    assert translit.name_key("Sugar 1 kg") == "sugar 1 kg"
    assert translit.alias_key("cheeni,shakkar,gehun ka aata") == "cini sakar gehun ka at"
    assert translit.name_key("") == translit.alias_key("") == ""
    assert translit.name_key("!!! — ।") == ""
    long_name = "क" * 160  # every consonant with its "a": twice as long as the name
    assert len(translit.name_key(" ".join([long_name] * 3))) <= translit.NAME_KEY_LENGTH
    aliases = ",".join("ञ" * 30 + str(n) for n in range(12))
    assert len(translit.alias_key(aliases)) <= translit.ALIAS_KEY_LENGTH


_CONSONANTS = ["k", "g", "ch", "j", "t", "d", "n", "p", "b", "m", "r", "l", "s", "v"]
_VOWEL_SPELLINGS = {"a": ["a", "aa"], "i": ["i", "ee", "ii"], "u": ["u", "oo", "uu"], "e": ["e"]}


@st.composite
def hinglish(draw: st.DrawFn) -> tuple[str, str]:
    """A word of consonant+vowel syllables, spelt twice with any of each vowel's spellings."""
    syllables = draw(
        st.lists(
            st.tuples(st.sampled_from(_CONSONANTS), st.sampled_from(sorted(_VOWEL_SPELLINGS))),
            min_size=1,
            max_size=5,
        )
    )
    spelt = []
    for _ in range(2):
        spelt.append(
            "".join(
                c.replace("v", draw(st.sampled_from(["v", "w"])))
                + draw(st.sampled_from(_VOWEL_SPELLINGS[v]))
                for c, v in syllables
            )
        )
    return spelt[0], spelt[1]


@given(hinglish())
def test_hinglish_vowel_spellings_and_case_never_change_a_key(pair: tuple[str, str]) -> None:
    one, other = pair
    assert key(one) == key(other) == key(other.upper())


_DEVANAGARI = [chr(c) for c in range(0x0900, 0x0980)]


@given(st.text(alphabet=[*_DEVANAGARI, " ", "a", "1", "\u200c"], max_size=40))
def test_any_devanagari_text_gives_ascii_keys(typed: str) -> None:
    for found in translit.keys(typed):
        assert found.key and found.key.isascii() and found.key.isalnum()
        assert " " not in found.stored and "%" not in found.stored
    assert len(translit.name_key(typed)) <= translit.NAME_KEY_LENGTH


@given(st.text(max_size=60))
def test_any_text_gives_keys_without_quotes_or_wildcards(typed: str) -> None:
    # What search puts inside an FTS5 string or a LIKE pattern must not be syntax there.
    for found in translit.query_keys(typed):
        assert found.key.isalnum()
        assert not set(found.stored) & set("\"'%_\\*(){}:,")


def test_sugar_is_found_as_cheeni_chini_and_in_devanagari(admin: User) -> None:
    make_product(db.session, name="चीनी 1 kg")
    make_product(db.session, name="Sugar 1 kg", aliases="cheeni")
    make_product(db.session, name="Chana Dal 1 kg")
    for typed in ("cheeni", "chini", "चीनी", "Cheeni 1", "chee", "चीनी 1 kg"):
        assert sorted(names(q=typed)) == ["Sugar 1 kg", "चीनी 1 kg"], typed
    # The ordinary match first: the exact alias for "cheeni", the name for "चीनी".
    assert names(q="cheeni") == ["Sugar 1 kg", "चीनी 1 kg"]
    assert names(q="चीनी") == ["चीनी 1 kg", "Sugar 1 kg"]
    assert catalog.search_products(db.session, q="chini")[1] == 2
    assert names(q="dal") == ["Chana Dal 1 kg"]
    assert names(q="दाल") == ["Chana Dal 1 kg"]


def test_latin_matches_keep_their_order_and_only_the_other_script_joins_them(
    admin: User,
) -> None:
    make_product(db.session, name="Sugar (loose)", unit="kg", aliases="chini, shakkar")
    make_product(db.session, name="Chini Mini Biscuits")
    make_product(db.session, name="Cheeni Cookies")  # sounds alike, but Latin like the query
    make_product(db.session, name="चीनी 1 kg")
    assert names(q="chini") == ["Sugar (loose)", "Chini Mini Biscuits", "चीनी 1 kg"]
    # Nothing matches the spelling "cheenee": then every product that sounds alike.
    assert names(q="cheenee") == [
        "Cheeni Cookies",
        "Chini Mini Biscuits",
        "Sugar (loose)",
        "चीनी 1 kg",
    ]


def test_sound_alikes_page_after_the_ordinary_matches(admin: User) -> None:
    for n in range(3):
        make_product(db.session, name=f"Dal Biscuit {n}")
    for name in ("तूर दाल", "मूंग दाल", "उड़द दाल"):
        make_product(db.session, name=name)
    pages = [catalog.search_products(db.session, q="dal", per_page=2, page=p) for p in (1, 2, 3)]
    assert [[p.name for p in items] for items, _ in pages] == [
        ["Dal Biscuit 0", "Dal Biscuit 1"],
        ["Dal Biscuit 2", "उड़द दाल"],
        ["तूर दाल", "मूंग दाल"],
    ]
    assert {total for _, total in pages} == {6}
    assert names(q="dal", per_page=2, page=4) == []
    assert names(q="dal", sort="-name")[:3] == ["Dal Biscuit 2", "Dal Biscuit 1", "Dal Biscuit 0"]


def test_sound_alikes_keep_the_filters(admin: User) -> None:
    old = make_product(db.session, name="पुरानी चीनी", category="Old")
    catalog.archive_product(db.session, old.id, admin.id)
    make_product(db.session, name="चीनी 1 kg", category="Grocery", opening_stock="0")
    assert names(q="chini") == ["चीनी 1 kg"]
    assert names(q="chini", category="grocery", out_of_stock=True) == ["चीनी 1 kg"]
    assert names(q="chini", category="old") == []
    assert names(q="chini", low_stock=True) == ["चीनी 1 kg"]
    assert names(q="chini", archived_only=True) == ["पुरानी चीनी"]


def test_keys_follow_renames_and_alias_changes(admin: User) -> None:
    product = make_product(db.session, name="Sugar", aliases="cheeni")
    assert (product.name_key, product.alias_key) == ("sugar", "cini")
    catalog.update_product(db.session, product.id, {"name": "मूंग दाल"}, admin.id)
    assert names(q="moong") == ["मूंग दाल"]
    catalog.update_product(db.session, product.id, {"aliases": "mung, hari dal"}, admin.id)
    stored = db.session.get(Product, product.id)
    assert stored is not None and (stored.name_key, stored.alias_key) == (
        "xmung xdal",
        "mung hari dal",
    )
    assert names(q="chini") == []  # the old alias is gone


def test_hostile_searches_answer_plainly(admin: User) -> None:
    make_product(db.session, name="चीनी 1 kg")
    for q in ('"', "चीनी\x00", "x%", "_", "*", "{name_key} : x", "xcini", "ं", "्", "।", "c" * 500):
        names(q=q)  # no error, whatever matches
    assert names(q="xcini") == []  # the script mark is not a way in


def test_a_csv_import_writes_the_keys_of_new_and_changed_products(admin: User) -> None:
    made = make_product(db.session, name="Sugar", code="S-1")
    raw = (
        "code,name,price,aliases\n"
        "S-1,,,cheeni\n"  # aliases only: the name (and its key) stay
        "D-1,मूंग दाल,120.00,\n"
    ).encode()
    catalog_csv.apply_import(db.session, raw, admin.id)
    rows = db.session.execute(
        select(Product.code, Product.name_key, Product.alias_key).order_by(Product.code)
    ).all()
    assert [tuple(r) for r in rows] == [("D-1", "xmung xdal", ""), ("S-1", "sugar", "cini")]
    assert made.id in [p.id for p in catalog.search_products(db.session, q="चीनी")[0]]
    assert names(q="mung") == ["मूंग दाल"]


def test_the_migration_gives_existing_products_their_keys(app: Flask, admin: User) -> None:
    make_product(db.session, name="चीनी 1 kg", aliases="shakkar")
    make_product(db.session, name="Toor Dal")
    db.session.remove()
    downgrade(directory=MIGRATIONS_DIR, revision=DOWN)
    columns = {c["name"] for c in inspect(db.engine).get_columns("products")}
    assert "name_key" not in columns and "aliases" in columns
    upgrade(directory=MIGRATIONS_DIR)
    rows = db.session.execute(
        select(Product.name, Product.name_key, Product.alias_key).order_by(Product.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("चीनी 1 kg", "xcini 1 kg", "sakar"),
        ("Toor Dal", "tur dal", ""),
    ]
    assert names(q="chini") == ["चीनी 1 kg"]
    assert names(q="toor") == ["Toor Dal"]


@pytest.mark.sqlite_only("reads the FTS5 index itself; servers search the key columns with LIKE")
def test_the_index_holds_the_keys_and_the_ordinary_search_ignores_them(admin: User) -> None:
    make_product(db.session, name="चीनी 1 kg")
    count = "SELECT count(*) FROM products_fts WHERE products_fts MATCH :m"
    assert db.session.execute(text(count), {"m": "name_key : xcini"}).scalar() == 1
    # The ordinary search names its columns: the key "xcini" is no word of a name.
    assert names(q="xcin") == []
