// The retailer's own page script: what a shop does with Vitrine's public API.
// - The "also from" buttons switch the widget's product (Vitrine.setProduct) and open it.
// - Its consent banner (a stand-in for the shop's CMP) passes the answer to Vitrine.setConsent;
//   page and product views are tracked once the shopper has answered, either way.
// - The search box and the basket button are tracked (Vitrine.track); the search term is checked
//   for personal data in the browser before anything is sent.
const vitrine = () => window.Vitrine;

document.querySelectorAll("button.also").forEach((button) =>
  button.addEventListener("click", () => {
    if (!vitrine()) return;
    vitrine().setProduct(button.dataset.sku, button.dataset.name);
    vitrine().open();
  }));

const CHOICE = "hearth-and-loom.statistics";
const banner = document.querySelector(".consent-banner");
const stored = () => {
  try {
    return localStorage.getItem(CHOICE);
  } catch {
    return null;
  }
};
const answered = (choice) => {
  if (!vitrine()) return;
  vitrine().setConsent(choice === "yes");
  vitrine().track("page_view", { page: "product" });
  vitrine().track("product_view", { product: "OAK-PLANK-190" });
};
// The loader is async: wait for it before using the API.
const whenReady = (fn) => (vitrine() ? fn() : addEventListener("load", fn, { once: true }));
whenReady(() => {
  const choice = stored();
  if (choice) answered(choice);
  else if (banner) banner.hidden = false;
});
banner?.querySelectorAll("button").forEach((button) =>
  button.addEventListener("click", () => {
    const choice = button.dataset.consent;
    try {
      localStorage.setItem(CHOICE, choice);
    } catch {
      // Not remembered: asked again next time.
    }
    banner.hidden = true;
    answered(choice);
  }));

document.querySelector("form.search")?.addEventListener("submit", (event) => {
  event.preventDefault();
  const term = new FormData(event.target).get("q").toString().trim();
  if (!term) return;
  vitrine()?.track("search", { term });
  const note = document.querySelector(".search-note");
  note.textContent = `This demo shop has no search results for “${term}”.`;
  note.hidden = false;
});

document.querySelector("button.add")?.addEventListener("click", () =>
  vitrine()?.track("add_to_cart", { product: "OAK-PLANK-190", quantity: 1 }));
