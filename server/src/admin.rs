//! `vitrine-server admin …`: manage retailers, their keys and allowed origins from the command
//! line, on the same database the server uses (until the dashboard exists).
//!
//! Output is meant for people and for scripts alike: commands that create something print just
//! that thing on standard output (a new key, a new id), so `KEY=$(vitrine-server admin key add 1)`
//! works; listings are aligned text.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use crate::clock::{Clock, SystemClock};
use crate::storage::{Limits, RetailerId, Storage};

/// What `admin` can do.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Retailers: add, list, show, set limits, delete.
    #[command(subcommand)]
    Retailer(RetailerCommand),
    /// Publishable keys (`pk_…`, used by the widget): add, revoke.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Secret keys (`sk_…`, for the retailer API): add (shown once), revoke.
    #[command(subcommand)]
    SecretKey(SecretKeyCommand),
    /// Allowed origins: add, remove.
    #[command(subcommand)]
    Origin(OriginCommand),
}

/// Retailer commands.
#[derive(Debug, Subcommand)]
pub enum RetailerCommand {
    /// Adds a retailer and prints its id.
    Add {
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// Lists retailers.
    List,
    /// Shows one retailer: limits, keys (secret keys by prefix only) and origins.
    Show {
        /// The retailer's id.
        id: i64,
    },
    /// Sets the renders allowed per visitor address.
    Limits {
        /// The retailer's id.
        id: i64,
        /// Per clock hour.
        #[arg(long)]
        per_hour: i64,
        /// Per UTC day (at least the hourly limit).
        #[arg(long)]
        per_day: i64,
    },
    /// Deletes a retailer and every record of it.
    Delete {
        /// The retailer's id.
        id: i64,
        /// Confirms the deletion (it cannot be undone).
        #[arg(long)]
        yes: bool,
    },
}

/// Publishable key commands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Adds a publishable key and prints it. Older keys stay live until revoked (rotation).
    Add {
        /// The retailer's id.
        retailer: i64,
    },
    /// Revokes a publishable key: the widget using it is refused from then on.
    Revoke {
        /// The retailer's id.
        retailer: i64,
        /// The key (`pk_…`).
        key: String,
    },
}

/// Secret key commands.
#[derive(Debug, Subcommand)]
pub enum SecretKeyCommand {
    /// Creates a secret key and prints it: the only time it is shown (only a hash is stored).
    Add {
        /// The retailer's id.
        retailer: i64,
    },
    /// Revokes a secret key by its id (see `retailer show`).
    Revoke {
        /// The retailer's id.
        retailer: i64,
        /// The secret key's id.
        id: i64,
    },
}

/// Origin commands.
#[derive(Debug, Subcommand)]
pub enum OriginCommand {
    /// Allows an origin: `https://shop.example` (exact scheme, host and port) or
    /// `https://*.shop.example` (its subdomains).
    Add {
        /// The retailer's id.
        retailer: i64,
        /// The origin.
        origin: String,
    },
    /// Removes an allowed origin.
    Remove {
        /// The retailer's id.
        retailer: i64,
        /// The origin.
        origin: String,
    },
}

/// Runs an admin command; returns what to print on standard output.
pub async fn run(storage: &Storage, command: AdminCommand) -> Result<String> {
    let now = SystemClock.now();
    let out = match command {
        AdminCommand::Retailer(command) => match command {
            RetailerCommand::Add { name } => {
                let name = name.trim();
                if name.is_empty() {
                    bail!("the retailer's name is empty");
                }
                let id = storage.create_retailer(name, now).await?;
                format!("{}\n", id.0)
            }
            RetailerCommand::List => {
                let mut out = String::from("id\tper hour\tper day\tname\n");
                for r in storage.list_retailers().await? {
                    let _ = writeln!(
                        out,
                        "{}\t{}\t{}\t{}",
                        r.id.0, r.renders_per_hour, r.renders_per_day, r.name
                    );
                }
                out
            }
            RetailerCommand::Show { id } => show(storage, existing(storage, id).await?).await?,
            RetailerCommand::Limits {
                id,
                per_hour,
                per_day,
            } => {
                if per_hour < 1 || per_day < per_hour {
                    bail!(
                        "limits must satisfy 1 <= per-hour <= per-day (got {per_hour} and {per_day})"
                    );
                }
                let id = existing(storage, id).await?;
                storage.set_limits(id, Limits { per_hour, per_day }).await?;
                format!(
                    "retailer {}: {per_hour} per hour, {per_day} per day\n",
                    id.0
                )
            }
            RetailerCommand::Delete { id, yes } => {
                if !yes {
                    bail!(
                        "deleting retailer {id} removes all of its records; add --yes to confirm"
                    );
                }
                let id = existing(storage, id).await?;
                storage.delete_retailer(id).await?;
                format!("retailer {} deleted with all of its records\n", id.0)
            }
        },
        AdminCommand::Key(command) => match command {
            KeyCommand::Add { retailer } => {
                let id = existing(storage, retailer).await?;
                format!("{}\n", storage.add_publishable_key(id, now).await?)
            }
            KeyCommand::Revoke { retailer, key } => {
                let id = existing(storage, retailer).await?;
                if !storage.revoke_publishable_key(id, &key, now).await? {
                    bail!("retailer {retailer} has no live key {key}");
                }
                format!("revoked {key}\n")
            }
        },
        AdminCommand::SecretKey(command) => match command {
            SecretKeyCommand::Add { retailer } => {
                let id = existing(storage, retailer).await?;
                let created = storage.create_secret_key(id, now).await?;
                eprintln!(
                    "secret key {} created: store it now, it is not shown again",
                    created.id
                );
                format!("{}\n", created.secret)
            }
            SecretKeyCommand::Revoke { retailer, id } => {
                let retailer_id = existing(storage, retailer).await?;
                if !storage.revoke_secret_key(retailer_id, id, now).await? {
                    bail!("retailer {retailer} has no live secret key {id}");
                }
                format!("revoked secret key {id}\n")
            }
        },
        AdminCommand::Origin(command) => match command {
            OriginCommand::Add { retailer, origin } => {
                let id = existing(storage, retailer).await?;
                storage.add_origin(id, &origin).await?;
                format!("allowed {origin}\n")
            }
            OriginCommand::Remove { retailer, origin } => {
                let id = existing(storage, retailer).await?;
                if !storage.remove_origin(id, &origin).await? {
                    bail!("retailer {retailer} does not allow {origin}");
                }
                format!("removed {origin}\n")
            }
        },
    };
    Ok(out)
}

async fn existing(storage: &Storage, id: i64) -> Result<RetailerId> {
    storage
        .retailer(RetailerId(id))
        .await?
        .map(|r| r.id)
        .with_context(|| format!("there is no retailer {id} (see `admin retailer list`)"))
}

async fn show(storage: &Storage, id: RetailerId) -> Result<String> {
    let retailer = storage
        .retailer(id)
        .await?
        .context("the retailer disappeared")?;
    let mut out = String::new();
    let _ = writeln!(out, "retailer {}: {}", retailer.id.0, retailer.name);
    let _ = writeln!(
        out,
        "limits: {} renders per hour, {} per day, per visitor address",
        retailer.renders_per_hour, retailer.renders_per_day
    );
    let _ = writeln!(out, "publishable keys:");
    for key in storage.list_publishable_keys(id).await? {
        let state = key
            .revoked_at
            .map_or_else(|| "live".to_owned(), |at| format!("revoked at {at}"));
        let _ = writeln!(out, "  {}\t{state}", key.key);
    }
    let _ = writeln!(out, "secret keys (id, prefix):");
    for key in storage.list_secret_keys(id).await? {
        let state = key
            .revoked_at
            .map_or_else(|| "live".to_owned(), |at| format!("revoked at {at}"));
        let _ = writeln!(out, "  {}\t{}…\t{state}", key.id, key.prefix);
    }
    let _ = writeln!(out, "allowed origins:");
    for origin in storage.list_origins(id).await? {
        let _ = writeln!(out, "  {}", origin.origin);
    }
    Ok(out)
}
