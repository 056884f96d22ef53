// Types for the public API that `vitrine.js` puts on `window.Vitrine`.
//
//   <script src="https://widget.example/vitrine.js" data-key="pk_…" data-product="SKU"
//           data-product-name="Oak plank flooring" data-target="#slot" async></script>

/** What the widget tells the page. No event carries the photo, the render or anything typed. */
export interface VitrineEvents {
  /** The panel opened. */
  open: { product: string };
  /** The panel closed. */
  close: { product: string };
  /** The WASM is running in the widget's worker. */
  ready: Record<string, never>;
  /** The pre-flight notice is shown, and why (`missing`, `expired`, `outdated_notice`, `unreadable`). */
  notice: { reason: string };
  /** The shopper accepted or declined the notice. */
  consent: { given: boolean };
  /** A photo was cleaned on the device: its size and the kinds of data removed. */
  photo: { width: number; height: number; removed: string[] };
  /** A render was shown. */
  render: { onDevice: boolean; product: string };
  /** The shopper kept the render (on this device). */
  saved: { onDevice: boolean };
  /** The shopper shared the render to the shop's gallery (pending the shop's review). */
  shared: Record<string, never>;
  /** The shopper asked for the render by email (a lead for the shop). */
  emailed: Record<string, never>;
  /** Something failed; `code` is stable (see the README's error table). */
  error: { code: string };
}

/**
 * The shop's own events for `Vitrine.track`. The schema is fixed: a field not listed here, a
 * string over its limit, or anything that looks like an email, phone number, payment card number
 * or full IP address makes the event be dropped in the browser (the console says which field).
 */
export interface VitrineTrackEvents {
  /** A page of the shop; `page` is the shop's own name for it (e.g. `category/rugs`), ≤ 100 characters. Never a URL with query. */
  page_view: { page?: string };
  /** A product page; `product` is the SKU (≤ 128 characters). */
  product_view: { product: string };
  /** A search; `term` ≤ 100 characters. */
  search: { term: string };
  /** A product clicked in a list, at an optional position (0–10000). */
  item_click: { product: string; position?: number };
  /** A product added to the cart (quantity 1–10000). */
  add_to_cart: { product: string; quantity?: number };
  /** An order: its value and ISO 4217 currency. Never an order id. */
  purchase: { value: number; currency: string };
}

export interface Vitrine {
  /** Open the widget (loads it on first use). */
  open(): Promise<unknown>;
  /** Close the panel. */
  close(): void;
  /** Switch the product shown, by SKU, with an optional display name. */
  setProduct(sku: string, name?: string): void;
  /** The shop's signed-in user id, or null when signed out. Kept in memory; sent only with consent, hashed in the browser under this shop's salt. */
  setUser(id: string | null): void;
  /**
   * The shopper's answer to the shop's consent banner for analytics. Until `true` (and whenever
   * Global Privacy Control is on) every beacon says `consent: 0` and carries no identifier.
   */
  setConsent(given: boolean): void;
  /** Record a shop event (sent in a batch when the page is hidden). */
  track<K extends keyof VitrineTrackEvents>(name: K, props: VitrineTrackEvents[K]): void;
  /** Listen for an event; returns a function that stops listening. */
  on<K extends keyof VitrineEvents>(name: K, handler: (detail: VitrineEvents[K]) => void): () => void;
  /** Stop listening. */
  off<K extends keyof VitrineEvents>(name: K, handler: (detail: VitrineEvents[K]) => void): void;
}

declare global {
  interface Window {
    Vitrine?: Vitrine;
  }
}
