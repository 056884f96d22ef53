//! Pseudonymous analytics, the part that must be identical in the shopper's browser and on the
//! server (reference texts 000 and 001; DESIGN.md "Analytics"):
//! - [`events`]: the fixed schema of widget and retailer events;
//! - [`beacon`]: the wire format of a batch, parsed and checked the same way on both sides;
//! - [`pii`]: the detector that refuses emails, phone numbers, card numbers and full IP
//!   addresses — in the widget before sending, on the server again before storing;
//! - [`identifiers`]: the keyed hashes and truncations applied to identifiers.

pub mod beacon;
pub mod events;
pub mod identifiers;
pub mod pii;
