//! What the widget keeps in the shopper's browser, first-party on the retailer's origin (reference
//! text 002's storage table): the recent renders the shopper chose to save (IndexedDB). The
//! consent flag (localStorage) is kept by the page, which the Worker cannot reach; its rules are
//! in `vitrine-core::consent`.

pub mod recent_renders;
