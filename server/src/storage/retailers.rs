//! Retailers: created by the operator, each with its render limits; deleting one removes every
//! record of it (`ON DELETE CASCADE` from every table in [`RETAILER_TABLES`]).

use super::{Limits, Pool, RetailerId, Storage, StorageError, retailer_found};
use crate::clock::UnixSeconds;

/// Tables holding retailer data, for [`Storage::count_rows_of`]. The storage tests compare it with
/// the live schema ([`Storage::tables_holding_retailer_data`]), so a new table cannot be left out.
pub const RETAILER_TABLES: &[&str] = &[
    "retailers",
    "publishable_keys",
    "secret_keys",
    "allowed_origins",
    "rate_limit_counters",
    "security_events",
    "widget_sessions",
    "render_events",
    "products",
    "analytics_events",
    "gallery_items",
    "leads",
];

/// A retailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retailer {
    /// Its id.
    pub id: RetailerId,
    /// Its display name.
    pub name: String,
    /// When it was created.
    pub created_at: UnixSeconds,
    /// Renders allowed per visitor address per hour.
    pub renders_per_hour: i64,
    /// Renders allowed per visitor address per day.
    pub renders_per_day: i64,
}

#[derive(sqlx::FromRow)]
struct RetailerRow {
    id: i64,
    name: String,
    created_at: i64,
    renders_per_hour: i64,
    renders_per_day: i64,
}

impl From<RetailerRow> for Retailer {
    fn from(row: RetailerRow) -> Self {
        Self {
            id: RetailerId(row.id),
            name: row.name,
            created_at: row.created_at,
            renders_per_hour: row.renders_per_hour,
            renders_per_day: row.renders_per_day,
        }
    }
}

impl Storage {
    /// Creates a retailer with the default limits.
    pub async fn create_retailer(
        &self,
        name: &str,
        now: UnixSeconds,
    ) -> Result<RetailerId, StorageError> {
        let id: i64 = in_transaction!(self, tx => sqlx::query_scalar(
            "INSERT INTO retailers (name, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?);
        Ok(RetailerId(id))
    }

    /// One retailer.
    pub async fn retailer(&self, id: RetailerId) -> Result<Option<Retailer>, StorageError> {
        let row = on_pool!(self, pool => sqlx::query_as::<_, RetailerRow>(
            "SELECT id, name, created_at, renders_per_hour, renders_per_day \
             FROM retailers WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(Retailer::from))
    }

    /// All retailers, by id.
    pub async fn list_retailers(&self) -> Result<Vec<Retailer>, StorageError> {
        let rows = on_pool!(self, pool => sqlx::query_as::<_, RetailerRow>(
            "SELECT id, name, created_at, renders_per_hour, renders_per_day \
             FROM retailers ORDER BY id",
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(Retailer::from).collect())
    }

    /// Sets a retailer's render limits.
    pub async fn set_limits(&self, id: RetailerId, limits: Limits) -> Result<(), StorageError> {
        let done = in_transaction!(self, tx => sqlx::query(
            "UPDATE retailers SET renders_per_hour = $1, renders_per_day = $2 WHERE id = $3",
        )
        .bind(limits.per_hour)
        .bind(limits.per_day)
        .bind(id.0)
        .execute(&mut *tx)
        .await?
        .rows_affected());
        retailer_found(done)
    }

    /// Deletes a retailer and, by `ON DELETE CASCADE`, every record of it. Returns whether it
    /// existed.
    pub async fn delete_retailer(&self, id: RetailerId) -> Result<bool, StorageError> {
        let deleted = in_transaction!(self, tx => sqlx::query("DELETE FROM retailers WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(deleted > 0)
    }

    /// How many rows of `table` (one of [`RETAILER_TABLES`]) belong to the retailer: for tests
    /// and for a deletion's audit.
    pub async fn count_rows_of(&self, table: &str, id: RetailerId) -> Result<i64, StorageError> {
        let Some(table) = RETAILER_TABLES.iter().find(|t| **t == table) else {
            return Err(StorageError::UnknownTable(table.to_owned()));
        };
        let column = if *table == "retailers" {
            "id"
        } else {
            "retailer_id"
        };
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
        let count: i64 = on_pool!(self, pool => sqlx::query_scalar(&sql)
            .bind(id.0)
            .fetch_one(pool)
            .await)?;
        Ok(count)
    }

    /// The tables of the live schema that hold retailer data: `retailers`, every table with a
    /// `retailer_id` column, and every table with a foreign key to `retailers` (whatever its
    /// column is called). Migration bookkeeping is left out. Sorted by name.
    pub async fn tables_holding_retailer_data(&self) -> Result<Vec<String>, StorageError> {
        let sql = match self.pool {
            Pool::Sqlite(_) => {
                "SELECT 'retailers' UNION \
                 SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND c.name = 'retailer_id' UNION \
                 SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table' AND f.\"table\" = 'retailers' \
                 ORDER BY 1"
            }
            Pool::Postgres(_) => {
                "SELECT 'retailers' UNION \
                 SELECT table_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND column_name = 'retailer_id' UNION \
                 SELECT constrained.table_name::text \
                 FROM information_schema.table_constraints constrained \
                 JOIN information_schema.constraint_column_usage referenced \
                   ON referenced.constraint_schema = constrained.constraint_schema \
                  AND referenced.constraint_name = constrained.constraint_name \
                 WHERE constrained.constraint_type = 'FOREIGN KEY' \
                   AND constrained.table_schema = current_schema() \
                   AND referenced.table_name = 'retailers' \
                 ORDER BY 1"
            }
        };
        let tables: Vec<String> = on_pool!(self, pool => sqlx::query_scalar(sql)
            .fetch_all(pool)
            .await)?;
        Ok(tables
            .into_iter()
            .filter(|table| table != "_sqlx_migrations")
            .collect())
    }
}
