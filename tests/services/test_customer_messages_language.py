"""Messages to one customer (the khata reminder, an order's status) in the customer's language.

customers.language "" follows the shop's documents' language; "bilingual" sends the English
text, then the Hindi. The Hindi words come from the committed catalogs.
"""

from __future__ import annotations

import pytest

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import Customer, User
from posapp.models.base import write_transaction
from posapp.services import checkout, customers, orders
from posapp.services.settings import load_settings, save_settings
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.one_backend("the words of messages")


def configure_shop(**values: object) -> None:
    with write_transaction(db.session):
        save_settings(db.session, **values)


def owing(admin: User, **fields: object) -> Customer:
    """A customer who owes ₹200.00 on one bill."""
    customer = make_customer(db.session, admin, name="Meena", credit_limit="1000", **fields)
    product = make_product(db.session, price="200.00")
    payload = {
        "customer_id": customer.id,
        "items": [{"product_id": product.id, "quantity": 1}],
        "payments": [{"method": "credit", "amount": "200"}],
    }
    checkout.checkout(db.session, checkout.parse_checkout(payload), admin)
    return customer


def reminder(customer: Customer) -> str:
    return customers.reminder_text(
        customers.summary(db.session, customer.id), load_settings(db.session)
    )


def test_a_customer_language_is_validated_and_kept(admin: User) -> None:
    hindi = make_customer(db.session, admin, language="hi")
    assert hindi.language == "hi"
    assert make_customer(db.session, admin).language == ""
    with pytest.raises(ValidationError) as refused:
        make_customer(db.session, admin, language="fr")
    assert "language" in refused.value.fields
    with pytest.raises(ValidationError):
        customers.update_customer(db.session, hindi.id, {"language": 7}, admin)
    assert customers.update_customer(db.session, hindi.id, {"language": " bilingual "}, admin)
    assert db.session.get(Customer, hindi.id).language == "bilingual"
    # A change that does not name the language leaves it be.
    customers.update_customer(db.session, hindi.id, {"notes": "Regular"}, admin)
    assert db.session.get(Customer, hindi.id).language == "bilingual"


def test_reminder_in_the_customers_language(admin: User) -> None:
    configure_shop(phone="98220 12345")
    text = reminder(owing(admin, language="hi"))
    assert text.startswith("नमस्ते Meena,")
    assert "₹200.00 बकाया है" in text and "98220 12345" in text and "धन्यवाद!" in text
    assert "Namaste" not in text


def test_reminder_follows_the_shop_when_the_customer_has_no_language(admin: User) -> None:
    configure_shop(documents_language="bilingual")
    text = reminder(owing(admin))
    english, hindi = text.split("\n\n")
    assert english.startswith("Namaste Meena, this is a reminder from My Shop: ₹200.00 is due")
    assert hindi.startswith("नमस्ते Meena, My Shop की ओर से याद दिलाना")


def test_an_english_customer_of_a_hindi_shop_gets_english(admin: User) -> None:
    configure_shop(documents_language="hi")
    text = reminder(owing(admin, language="en"))
    assert text.startswith("Namaste Meena, this is a reminder") and "नमस्ते" not in text


def test_order_status_message_in_the_customers_language(admin: User) -> None:
    rice = make_product(db.session, price="50.00")
    ravi = make_customer(db.session, admin, name="Ravi", language="hi")
    data = {"customer_id": ravi.id, "items": [{"product_id": rice.id, "quantity": "2"}]}
    order = orders.create_order(db.session, orders.parse_order(data), admin, "orders")
    message = orders.status_message(orders.get_order(db.session, order.id), "Sharma Stores")
    assert message.startswith("नमस्ते Ravi, Sharma Stores से आपका ऑर्डर")
    assert "₹100.00" in message and message.endswith("धन्यवाद!")
    # The English is unchanged for everyone else, word for word.
    customers.update_customer(db.session, ravi.id, {"language": ""}, admin)
    english = orders.status_message(orders.get_order(db.session, order.id), "Sharma Stores")
    assert english == (
        f"Namaste Ravi, your order {order.number} from Sharma Stores has been received "
        "(about ₹100.00); we will confirm it soon. Thank you!"
    )
    both = orders.status_message(
        orders.get_order(db.session, order.id), "Sharma Stores", language="bilingual"
    )
    assert both.startswith(english + "\n\nनमस्ते Ravi,")
