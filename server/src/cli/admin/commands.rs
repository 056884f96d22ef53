//! The `admin` subcommands as clap parses them: each one's arguments and help text.

use clap::Subcommand;

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
