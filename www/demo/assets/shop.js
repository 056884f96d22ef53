// The retailer's own page script: the "also from" buttons switch the widget's product through
// the public API (Vitrine.setProduct) and open it.
document.querySelectorAll("button.also").forEach((button) =>
  button.addEventListener("click", () => {
    if (!window.Vitrine) return;
    window.Vitrine.setProduct(button.dataset.sku, button.dataset.name);
    window.Vitrine.open();
  }));
