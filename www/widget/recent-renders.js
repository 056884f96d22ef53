// "Save on this device" (step 5) and the list of saved renders shown when the widget opens
// again. The store itself is Rust in the worker (src/storage/recent_renders.rs): IndexedDB, the
// 3 most recent per retailer, never sent anywhere.

import { el } from "./dom.js";

export class RecentRenders {
  constructor(worker, retailer) {
    this.worker = worker;
    this.retailer = retailer;
    this.urls = [];
    this.list = el("ul", { class: "recent-list" });
    this.section = el("section", { class: "recent", "aria-labelledby": "vitrine-recent-title", hidden: true },
      el("h3", { id: "vitrine-recent-title" }, "Your recent pictures on this device"),
      this.list);
  }

  /** Load and show the saved renders (hidden when there are none or storage is unavailable). */
  async refresh() {
    let records = [];
    try {
      records = await this.worker.call("recent-list", { retailer: this.retailer });
    } catch {
      records = [];
    }
    this.urls.forEach((url) => URL.revokeObjectURL(url));
    this.urls = [];
    const items = records.map((record) => {
      const url = URL.createObjectURL(new Blob([record.jpeg], { type: "image/jpeg" }));
      this.urls.push(url);
      const when = new Date(record.createdAt).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
      const remove = el("button", { type: "button", class: "button link", "aria-label": `Remove the picture of ${record.productName} from ${when}` }, "Remove");
      remove.addEventListener("click", async () => {
        try {
          await this.worker.call("recent-remove", { retailer: this.retailer, recordId: record.id });
        } catch (error) {
          if (this.onError) this.onError(error);
        }
        await this.refresh();
      });
      return el("li", {},
        el("img", { src: url, alt: `${record.productName} in your room, AI-generated`, width: "120" }),
        el("span", { class: "recent-meta" }, record.productName, el("br"), when),
        remove);
    });
    this.list.replaceChildren(...items);
    this.section.hidden = items.length === 0;
    return records.length;
  }

  /** Save `blob` (the labelled render); rejects with `{ code }` (error-words.json, "device-storage"). */
  async save(blob, product) {
    const bytes = await blob.arrayBuffer();
    await this.worker.call("recent-save", {
      retailer: this.retailer,
      product: product.sku,
      productName: product.name,
      createdAt: Date.now(),
      bytes,
    }, [bytes]);
  }
}
