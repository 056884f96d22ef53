// The shopper's words for every error code, from error-words.json (one table for the whole
// widget, checked against the Rust error codes by server/tests/widget_error_words.rs).

import { ownFile } from "./http.js";

const table = await (await ownFile("error-words.json")).json();

/**
 * The words for `error` (`{ code, retryAt? }`) in `step` ("photo", "keep", "device-storage" or
 * none): the step's own words for the code, else the code's, else the step's words for
 * `internal`. `{time}` is filled with when to try again.
 */
export function wordsFor(error, step) {
  const own = (step && table.in[step]) || {};
  const template = own[error.code] ?? table.words[error.code] ?? own.internal ?? table.words.internal;
  const time = error.retryAt
    ? error.retryAt.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : "a later time";
  return template.replace("{time}", time);
}
