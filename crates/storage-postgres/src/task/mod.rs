//! The task queue on PostgreSQL: `impl TaskQueue for PostgresStore` in `store.rs`, its SQL in the other
//! files. Claims are one statement with `FOR UPDATE SKIP LOCKED`; leases are fenced by `lease_id`.

mod claim;
mod lifecycle;
mod read;
mod row;
mod store;

pub(crate) use self::read::counts_by_status;
