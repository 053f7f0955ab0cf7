// The customer page: "Due at all shops" from HQ, asked once the page has loaded (the shop's
// own due is on the page already; HQ may be slow or away, the page never waits for it).

import { send } from "./lib/http.js";

const place = document.querySelector("[data-hq-due]");

async function show() {
  let answer;
  try {
    const response = await send(place.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    answer = await response.json();
  } catch {
    return; // the shop's own server did not answer: nothing to add
  }
  if (!answer || answer.state === "off" || !answer.text) return;
  place.textContent = answer.text;
  place.title = (answer.shops || []).map((shop) => `${shop.name}: ${shop.due}`).join("\n");
  place.dataset.state = answer.state;
  place.hidden = false;
}

if (place && place.dataset.url) show();
