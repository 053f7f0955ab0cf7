// The customer of the bill: find by phone or name (arrows + Enter), or add one inline; their
// balance and credit left; a payment on account from the till (its receipt prints).

import { getJSON, postJSON } from "../lib/http.js";
import { t } from "../lib/i18n.js";
import { formatFixed, formatMoney, moneyText, parseFixed } from "../lib/money.js";
import { save } from "./cart.js";
import { renderChange, setCreditNote } from "./payments.js";
import { announce, focusScan, showCheckoutAlert } from "./ui.js";

/** A query made of phone characters only is a phone number. */
const PHONE_LIKE = /^[\d\s+\-().]+$/;

function customerPageUrl(till, id) {
  return till.cfg.customerPageUrl.replace(/\/0$/, `/${id}`);
}

/** The customer's limit in plain words, as the customer pages say it. */
export function creditWords(customer, format) {
  // A customer saved by an older till has no credit_limit: say only what is left.
  if (customer.credit_limit === undefined) {
    return t("till.customer.credit_left", { amount: moneyText(customer.available_credit, format) });
  }
  if (customer.credit_limit === null) return t("till.customer.no_limit");
  const limit = moneyText(customer.credit_limit, format);
  if (parseFixed(customer.credit_limit, 2) === 0) return t("till.customer.no_credit", { limit });
  return t("till.customer.credit_left_of", { amount: moneyText(customer.available_credit, format), limit });
}

export function renderCustomer(till) {
  const { el, format } = till;
  const customer = till.state.customer;
  el.customerChip.hidden = !customer;
  el.customerPick.hidden = Boolean(customer);
  el.payCredit.disabled = !customer;
  el.payCredit.title = customer ? "" : t("till.pay.credit_needs_customer");
  if (!customer) {
    setCreditNote(till, "");
    return;
  }
  el.customerName.textContent = customer.name;
  el.customerPhone.textContent = customer.phone_display || customer.phone;
  const balance = parseFixed(customer.balance, 2) ?? 0;
  el.customerBalance.textContent =
    balance < 0
      ? t("till.customer.advance", { amount: formatMoney(-balance, format) })
      : t("till.customer.owes", { amount: formatMoney(balance, format) });
  el.customerAvailable.textContent = creditWords(customer, format);
  el.customerPageLink.href = customerPageUrl(till, customer.id);
}

function closeCustomerSuggestions(till) {
  const { el } = till;
  const find = till.state.customerFind;
  find.items = [];
  find.active = -1;
  el.customerSuggestions.hidden = true;
  el.customerSuggestions.replaceChildren();
  el.customerSearch.setAttribute("aria-expanded", "false");
  el.customerSearch.removeAttribute("aria-activedescendant");
}

function showCustomerSuggestions(till, items, query) {
  const { el, format } = till;
  const find = till.state.customerFind;
  find.items = items;
  find.active = items.length ? 0 : -1;
  el.customerSuggestions.replaceChildren();
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "list-group-item text-body-secondary small";
    li.textContent = t("till.customer.no_match", { query });
    el.customerSuggestions.append(li);
  }
  items.forEach((customer, index) => {
    const li = document.createElement("li");
    li.className = "list-group-item list-group-item-action suggestion";
    li.id = `customer-suggestion-${index}`;
    li.setAttribute("role", "option");
    const main = document.createElement("div");
    main.className = "suggestion-main";
    const name = document.createElement("span");
    name.className = "fw-semibold";
    name.textContent = customer.name;
    const phone = document.createElement("span");
    phone.className = "small suggestion-code num";
    phone.textContent = customer.phone_display || customer.phone;
    main.append(name, phone);
    const side = document.createElement("div");
    side.className = "suggestion-side text-end small num";
    const balance = parseFixed(customer.balance, 2) ?? 0;
    side.textContent = balance > 0 ? t("till.customer.suggest_owes", { amount: formatMoney(balance, format) }) : "";
    li.append(main, side);
    li.addEventListener("mousedown", (event) => event.preventDefault());
    li.addEventListener("click", () => attachCustomer(till, customer.id));
    el.customerSuggestions.append(li);
  });
  el.customerSuggestions.hidden = false;
  el.customerSearch.setAttribute("aria-expanded", "true");
  highlightCustomer(till, find.active);
}

function highlightCustomer(till, index) {
  const { el } = till;
  const find = till.state.customerFind;
  const count = find.items.length;
  if (!count) return;
  find.active = (index + count) % count;
  [...el.customerSuggestions.children].forEach((li, i) => {
    const on = i === find.active;
    li.classList.toggle("active", on);
    li.setAttribute("aria-selected", String(on));
  });
  el.customerSearch.setAttribute("aria-activedescendant", `customer-suggestion-${find.active}`);
}

/** Phone digits need at least 3 to mean anything; names at least 2 letters. */
function customerQueryReady(query) {
  if (PHONE_LIKE.test(query)) return query.replace(/\D/g, "").length >= 3;
  return query.length >= 2;
}

async function fetchCustomers(till, query, seq) {
  const result = await getJSON(`${till.cfg.customersUrl}?q=${encodeURIComponent(query)}&per_page=8`);
  if (seq !== till.state.customerFind.seq || till.el.customerSearch.value.trim() !== query) return;
  if (result.ok) showCustomerSuggestions(till, result.data.items, query);
  else closeCustomerSuggestions(till);
}

/** Put the customer on the bill (fetched afresh: balance and credit left are current). */
export async function attachCustomer(till, id) {
  const { state, el } = till;
  closeCustomerSuggestions(till);
  const result = await getJSON(`${till.cfg.customersUrl}/${id}`);
  if (!result.ok) {
    showCheckoutAlert(till, result.message, "checkout");
    return;
  }
  const c = result.data;
  state.customer = {
    id: c.id,
    name: c.name,
    phone: c.phone,
    phone_display: c.phone_display,
    balance: c.balance,
    credit_limit: c.credit_limit,
    available_credit: c.available_credit,
  };
  el.customerSearch.value = "";
  closeCustomerForm(till);
  closePaymentForm(till);
  save(till);
  renderCustomer(till);
  renderChange(till);
  announce(till, t("till.customer.attached", { name: c.name }));
  focusScan(till);
}

function detachCustomer(till) {
  const { state, el } = till;
  closePaymentForm(till);
  state.customer = null;
  state.tenders.credit = "";
  el.payCredit.value = "";
  save(till);
  renderCustomer(till);
  renderChange(till);
  focusCustomerSearch(till);
}

/** F4: the customer search, or Detach when a customer is already on the bill. */
export function focusCustomerSearch(till) {
  const { el } = till;
  if (till.state.customer) {
    el.customerDetach.focus();
    return;
  }
  el.customerSearch.focus();
  el.customerSearch.select();
}

function openCustomerForm(till, prefill) {
  const { el } = till;
  el.customerNew.hidden = false;
  el.customerNewAlert.hidden = true;
  for (const input of [el.customerNewName, el.customerNewPhone]) input.classList.remove("is-invalid");
  const query = String(prefill || "").trim();
  if (PHONE_LIKE.test(query)) {
    el.customerNewPhone.value = query;
    el.customerNewName.focus();
  } else {
    el.customerNewName.value = query;
    el.customerNewPhone.focus();
  }
}

export function closeCustomerForm(till) {
  const { el } = till;
  el.customerNew.hidden = true;
  el.customerNewName.value = "";
  el.customerNewPhone.value = "";
  el.customerNewAlert.hidden = true;
}

export function closePaymentForm(till) {
  const { el } = till;
  el.customerPay.hidden = true;
  el.customerPayAmount.value = "";
  el.customerPayAlert.hidden = true;
}

/** Bring a restored customer's balance and credit left up to date. */
export async function refreshCustomer(till) {
  const { state } = till;
  if (!state.customer) return;
  const result = await getJSON(`${till.cfg.customersUrl}/${state.customer.id}`);
  if (!result.ok || !state.customer || result.data.id !== state.customer.id) return;
  state.customer.balance = result.data.balance;
  state.customer.credit_limit = result.data.credit_limit;
  state.customer.available_credit = result.data.available_credit;
  save(till);
  renderCustomer(till);
  renderChange(till);
}

/** Listen to the customer search, the new-customer form and the payment-on-account form. */
export function bindCustomer(till) {
  const { state, el, cfg } = till;
  const find = state.customerFind;

  el.customerSearch.addEventListener("input", () => {
    clearTimeout(find.timer);
    const query = el.customerSearch.value.trim();
    const seq = ++find.seq;
    if (!customerQueryReady(query)) {
      closeCustomerSuggestions(till);
      return;
    }
    find.timer = setTimeout(() => fetchCustomers(till, query, seq), 150);
  });

  el.customerSearch.addEventListener("keydown", (event) => {
    const open = !el.customerSuggestions.hidden && find.items.length > 0;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      highlightCustomer(till, find.active + 1);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlightCustomer(till, find.active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      const query = el.customerSearch.value.trim();
      if (open && find.active >= 0) {
        attachCustomer(till, find.items[find.active].id);
      } else if (query && !el.customerSuggestions.hidden) {
        closeCustomerSuggestions(till);
        openCustomerForm(till, query); // nothing matched: add this customer
      } else if (query && customerQueryReady(query)) {
        const seq = ++find.seq;
        clearTimeout(find.timer);
        fetchCustomers(till, query, seq);
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      find.seq++;
      closeCustomerSuggestions(till);
      el.customerSearch.value = "";
      focusScan(till);
    }
  });

  el.customerSearch.addEventListener("blur", () => {
    setTimeout(() => {
      if (document.activeElement !== el.customerSearch) closeCustomerSuggestions(till);
    }, 150);
  });

  el.customerNewToggle.addEventListener("click", () => openCustomerForm(till, el.customerSearch.value));
  el.customerNewCancel.addEventListener("click", () => {
    closeCustomerForm(till);
    focusCustomerSearch(till);
  });
  el.customerNew.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeCustomerForm(till);
      focusCustomerSearch(till);
    }
  });
  el.customerNew.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: el.customerNewName.value, phone: el.customerNewPhone.value };
    const result = await postJSON(cfg.customersUrl, body);
    if (result.ok) {
      await attachCustomer(till, result.data.id);
      return;
    }
    const fields = result.details?.fields || {};
    for (const [name, input] of [["name", el.customerNewName], ["phone", el.customerNewPhone]]) {
      input.classList.toggle("is-invalid", Boolean(fields[name]));
      const feedback = el.customerNew.querySelector(`[data-field="${name}"]`);
      feedback.textContent = fields[name] || "";
    }
    el.customerNewAlert.textContent = result.message;
    el.customerNewAlert.hidden = false;
    if (result.status === 409 && Number.isInteger(result.details?.customer_id)) {
      const existing = result.details.customer_id;
      const use = document.createElement("button");
      use.type = "button";
      use.className = "btn btn-link btn-sm p-0 ms-1 align-baseline";
      use.textContent = t("till.customer.attach_existing");
      use.addEventListener("click", () => attachCustomer(till, existing));
      el.customerNewAlert.append(" ", use);
    }
  });

  el.customerDetach.addEventListener("click", () => detachCustomer(till));

  // A payment on account from the till: allocated by the server, then its receipt prints.
  el.customerPayToggle.addEventListener("click", () => {
    el.customerPay.hidden = false;
    const balance = parseFixed(state.customer?.balance, 2) ?? 0;
    if (balance > 0 && !el.customerPayAmount.value) el.customerPayAmount.value = formatFixed(balance, 2);
    el.customerPayAmount.focus();
    el.customerPayAmount.select();
  });
  el.customerPayCancel.addEventListener("click", () => {
    closePaymentForm(till);
    focusScan(till);
  });
  el.customerPay.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closePaymentForm(till);
      focusScan(till);
    }
  });
  el.customerPay.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!state.customer) return;
    const result = await postJSON(`${cfg.customersUrl}/${state.customer.id}/payments`, {
      amount: el.customerPayAmount.value.trim(),
      method: el.customerPayMethod.value,
    });
    if (result.ok) {
      save(till); // the bill in progress waits in this tab's storage
      const url = cfg.paymentReceiptUrl.replace(/\/0\/receipt$/, `/${result.data.id}/receipt`);
      window.location.assign(`${url}?print=1`);
      return;
    }
    el.customerPayAlert.textContent = result.message;
    el.customerPayAlert.hidden = false;
    el.customerPayAmount.focus();
  });
}
