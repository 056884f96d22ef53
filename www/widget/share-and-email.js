// "Share publicly" and "Email me this render" (step 5): the two choices of the save popup that
// reach the server. Each is its own explicit tick; neither is pre-ticked. The server checks the
// render again (photo core, person check), stores a shared render pending the shop's review, and
// stores an email request as a lead for the shop.

import { apiUrl, requestJson } from "./http.js";

/** Share the render to the shop's gallery; resolves to the absolute withdrawal link. */
export async function shareRender(config, blob, sku) {
  const url = apiUrl(config, "gallery");
  url.searchParams.set("product", sku);
  const body = await requestJson(url, { method: "POST", headers: { "Content-Type": "image/jpeg" }, body: blob });
  return { id: body.id, withdrawUrl: new URL(body.withdraw_path, config.base).href };
}

/** Ask for the render by email: a lead for the shop, with the marketing opt-in as ticked. */
export async function emailRender(config, blob, sku, email, marketingOptIn) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return requestJson(apiUrl(config, "leads"), {
    method: "POST",
    json: { email, product: sku, marketing_opt_in: marketingOptIn === true, render: btoa(binary) },
  });
}
