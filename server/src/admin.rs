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
use crate::storage::{BackendChoice, GalleryStatus, Limits, Product, RetailerId, Storage, Surface};

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
    /// Products the built-in compositor can render: add (or replace), list, remove.
    #[command(subcommand)]
    Product(ProductCommand),
    /// Renders shoppers shared: list, export one, approve, reject, remove.
    #[command(subcommand)]
    Gallery(GalleryCommand),
    /// Shoppers who asked for a render by email: list, export one's render.
    #[command(subcommand)]
    Lead(LeadCommand),
    /// Stored analytics events: export them as JSON lines.
    #[command(subcommand)]
    Analytics(AnalyticsCommand),
}

/// Analytics commands.
#[derive(Debug, Subcommand)]
pub enum AnalyticsCommand {
    /// Prints the retailer's most recent stored events, newest first, one JSON object per line
    /// with every stored column (identifiers are present only for consented beacons).
    Events {
        /// The retailer's id.
        retailer: i64,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
}

/// Gallery commands (the retailer's review until the dashboard exists).
#[derive(Debug, Subcommand)]
pub enum GalleryCommand {
    /// Lists the retailer's shared renders, newest first.
    List {
        /// The retailer's id.
        retailer: i64,
        /// Only `pending`, `approved` or `rejected` ones.
        #[arg(long)]
        status: Option<String>,
    },
    /// Writes one shared render (a JPEG) to a file, to look at before reviewing it.
    Export {
        /// The retailer's id.
        retailer: i64,
        /// The item's id.
        item: i64,
        /// Where to write it.
        out: std::path::PathBuf,
    },
    /// Approves a shared render for the public gallery.
    Approve {
        /// The retailer's id.
        retailer: i64,
        /// The item's id.
        item: i64,
    },
    /// Rejects a shared render (it is never shown; the shopper's link still deletes it).
    Reject {
        /// The retailer's id.
        retailer: i64,
        /// The item's id.
        item: i64,
    },
    /// Deletes a shared render.
    Remove {
        /// The retailer's id.
        retailer: i64,
        /// The item's id.
        item: i64,
    },
}

/// Lead commands.
#[derive(Debug, Subcommand)]
pub enum LeadCommand {
    /// Lists the retailer's leads, newest first: email, product, marketing opt-in.
    List {
        /// The retailer's id.
        retailer: i64,
    },
}

/// Product commands.
#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Adds a product, or replaces the one with the same SKU.
    Add {
        /// The retailer's id.
        retailer: i64,
        /// The retailer's product identifier.
        #[arg(long)]
        sku: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// `floor` or `wall`.
        #[arg(long)]
        surface: String,
        /// A seamless tile of the material: PNG, JPEG or WebP, at most 4 MiB.
        #[arg(long)]
        texture: std::path::PathBuf,
        /// The tile's real size in millimetres, `width x height` (e.g. `1200x190`).
        #[arg(long)]
        tile_mm: String,
    },
    /// Lists the retailer's products.
    List {
        /// The retailer's id.
        retailer: i64,
    },
    /// Removes a product.
    Remove {
        /// The retailer's id.
        retailer: i64,
        /// The SKU.
        sku: String,
    },
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
    /// Chooses the backend that renders for the retailer: `builtin` (the compositor, default),
    /// `openai` or `gemini` (the server must have that provider's key configured).
    Backend {
        /// The retailer's id.
        id: i64,
        /// `builtin`, `openai` or `gemini`.
        backend: String,
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
            RetailerCommand::Backend { id, backend } => {
                let choice = BackendChoice::parse(backend.trim()).with_context(|| {
                    format!("{backend:?} is not a backend: builtin, openai or gemini")
                })?;
                let id = existing(storage, id).await?;
                storage.set_render_backend(id, choice).await?;
                format!("retailer {} renders with {}\n", id.0, choice.as_str())
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
        AdminCommand::Product(command) => product(storage, command, now).await?,
        AdminCommand::Gallery(command) => gallery(storage, command, now).await?,
        AdminCommand::Lead(command) => lead(storage, command).await?,
        AdminCommand::Analytics(command) => analytics(storage, command).await?,
    };
    Ok(out)
}

async fn product(storage: &Storage, command: ProductCommand, now: i64) -> Result<String> {
    Ok(match command {
        ProductCommand::Add {
            retailer,
            sku,
            name,
            surface,
            texture,
            tile_mm,
        } => {
            let id = existing(storage, retailer).await?;
            let surface = Surface::parse(surface.trim())
                .with_context(|| format!("{surface:?} is not a surface: floor or wall"))?;
            let (width, height) = tile_mm
                .split_once(['x', 'X', '×'])
                .and_then(|(w, h)| {
                    Some((w.trim().parse::<i64>().ok()?, h.trim().parse::<i64>().ok()?))
                })
                .filter(|(w, h)| (1..=100_000).contains(w) && (1..=100_000).contains(h))
                .with_context(|| {
                    format!("--tile-mm {tile_mm:?} must be `width x height`, each 1 to 100000 mm")
                })?;
            let bytes = std::fs::read(&texture)
                .with_context(|| format!("cannot read {}", texture.display()))?;
            let product = Product {
                sku: sku.trim().to_owned(),
                name: name.trim().to_owned(),
                surface,
                tile_width_mm: width,
                tile_height_mm: height,
                texture: bytes,
                updated_at: now,
            };
            // Refuse a texture the renderer could not use now, not at a shopper's first render.
            crate::render::textures::decode(product.clone())
                .with_context(|| format!("{} is not a usable texture", texture.display()))?;
            storage.put_product(id, &product).await?;
            format!("product {} saved\n", product.sku)
        }
        ProductCommand::List { retailer } => {
            let id = existing(storage, retailer).await?;
            let mut out = String::from("sku\tsurface\ttile mm\tname\n");
            for p in storage.list_products(id).await? {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}x{}\t{}",
                    p.sku,
                    p.surface.as_str(),
                    p.tile_width_mm,
                    p.tile_height_mm,
                    p.name
                );
            }
            out
        }
        ProductCommand::Remove { retailer, sku } => {
            let id = existing(storage, retailer).await?;
            if !storage.remove_product(id, &sku).await? {
                bail!("retailer {retailer} has no product {sku}");
            }
            format!("removed {sku}\n")
        }
    })
}

async fn gallery(storage: &Storage, command: GalleryCommand, now: i64) -> Result<String> {
    let review = |retailer: i64, item: i64, status: GalleryStatus| async move {
        let id = existing(storage, retailer).await?;
        if !storage.review_gallery_item(id, item, status, now).await? {
            bail!("retailer {retailer} has no shared render {item}");
        }
        Ok::<_, anyhow::Error>(format!("{item} {}\n", status.as_str()))
    };
    Ok(match command {
        GalleryCommand::List { retailer, status } => {
            let id = existing(storage, retailer).await?;
            let status = status
                .map(|s| {
                    GalleryStatus::parse(s.trim())
                        .with_context(|| format!("{s:?} is not pending, approved or rejected"))
                })
                .transpose()?;
            let mut out = String::from("id	status	shared at	bytes	product\n");
            for item in storage.gallery_items(id, status).await? {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    item.id,
                    item.status.as_str(),
                    item.created_at,
                    item.render.len(),
                    item.product
                );
            }
            out
        }
        GalleryCommand::Export {
            retailer,
            item,
            out,
        } => {
            let id = existing(storage, retailer).await?;
            let found = storage
                .gallery_items(id, None)
                .await?
                .into_iter()
                .find(|i| i.id == item)
                .with_context(|| format!("retailer {retailer} has no shared render {item}"))?;
            std::fs::write(&out, &found.render)
                .with_context(|| format!("cannot write {}", out.display()))?;
            format!("{}\n", out.display())
        }
        GalleryCommand::Approve { retailer, item } => {
            review(retailer, item, GalleryStatus::Approved).await?
        }
        GalleryCommand::Reject { retailer, item } => {
            review(retailer, item, GalleryStatus::Rejected).await?
        }
        GalleryCommand::Remove { retailer, item } => {
            let id = existing(storage, retailer).await?;
            if !storage.remove_gallery_item(id, item).await? {
                bail!("retailer {retailer} has no shared render {item}");
            }
            format!("removed {item}\n")
        }
    })
}

async fn analytics(storage: &Storage, command: AnalyticsCommand) -> Result<String> {
    Ok(match command {
        AnalyticsCommand::Events { retailer, limit } => {
            let id = existing(storage, retailer).await?;
            let mut out = String::new();
            for event in storage.analytics_events(id, limit.max(0)).await? {
                let _ = writeln!(out, "{}", serde_json::to_string(&event)?);
            }
            out
        }
    })
}

async fn lead(storage: &Storage, command: LeadCommand) -> Result<String> {
    Ok(match command {
        LeadCommand::List { retailer } => {
            let id = existing(storage, retailer).await?;
            let mut out = String::from("asked at\tmarketing opt-in\tproduct\temail\n");
            for lead in storage.leads(id).await? {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    lead.created_at,
                    if lead.marketing_opt_in { "yes" } else { "no" },
                    lead.product,
                    lead.email
                );
            }
            out
        }
    })
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
