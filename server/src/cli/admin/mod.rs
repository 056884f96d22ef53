//! `vitrine-server admin …`: manage retailers, their keys and allowed origins from the command
//! line, on the same database the server uses (until the dashboard exists).
//!
//! Output is meant for people and for scripts alike: commands that create something print just
//! that thing on standard output (a new key, a new id), so `KEY=$(vitrine-server admin key add 1)`
//! works; listings are aligned text.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};

use vitrine_server::clock::{Clock, SystemClock};
mod commands;
pub use commands::*;

use vitrine_server::storage::{
    BackendChoice, GalleryStatus, Limits, Product, RetailerId, Storage, Surface,
};

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
            vitrine_server::render::textures::decode(product.clone())
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
