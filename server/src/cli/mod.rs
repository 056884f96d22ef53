//! What only the `vitrine-server` binary needs, kept out of the library the tests and fuzz
//! targets link: the `admin` commands and the demo (its shop page, products and static assets).

pub mod admin;
pub mod demo;
pub mod demo_products;
pub mod static_assets;
