//! The storage suite, one module per aggregate, run once against SQLite (a temporary file) and
//! once against PostgreSQL (a fresh database per test on the server named by
//! `VITRINE_TEST_POSTGRES_URL`; `cargo xtask test` starts a throwaway cluster and sets it).
//! Without that variable the PostgreSQL half fails: no test is skipped because a database is
//! missing.

#![allow(clippy::unwrap_used)]

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod counters;
mod deletion;
mod gallery;
mod keys;
mod leads;
mod migrations;
mod origins;
mod products;
mod retailers;
mod retention;

use counters::{
    a_batch_counts_in_order_and_records_allowed_renders, rate_limit_exact_under_concurrency,
    rate_limit_windows_roll_over, refused_requests_consume_nothing,
};
use deletion::{delete_retailer_leaves_nothing, every_table_holding_retailer_data_is_named};
use gallery::gallery_items_are_pending_withdrawable_and_scoped;
use keys::{key_rotation_and_revocation, secret_shown_once_and_verified};
use leads::leads_are_stored_per_retailer;
use migrations::migrations_apply_twice;
use origins::origins_stored_and_listed;
use products::products_are_stored_replaced_and_scoped;
use retailers::{
    a_write_cancelled_midway_leaves_the_database_writable, retailers_are_isolated,
    retailers_created_listed_and_limited,
};
use retention::sweep_deletes_exactly_what_is_past_retention;

// Each test runs twice: `NAME::sqlite` and `NAME::postgres`.
on_both!(
    rate_limit_exact_under_concurrency,
    refused_requests_consume_nothing,
    a_batch_counts_in_order_and_records_allowed_renders,
    rate_limit_windows_roll_over,
    delete_retailer_leaves_nothing,
    every_table_holding_retailer_data_is_named,
    gallery_items_are_pending_withdrawable_and_scoped,
    key_rotation_and_revocation,
    secret_shown_once_and_verified,
    leads_are_stored_per_retailer,
    migrations_apply_twice,
    origins_stored_and_listed,
    products_are_stored_replaced_and_scoped,
    retailers_created_listed_and_limited,
    retailers_are_isolated,
    a_write_cancelled_midway_leaves_the_database_writable,
    sweep_deletes_exactly_what_is_past_retention,
);
