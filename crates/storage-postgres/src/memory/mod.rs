//! Agent memory on PostgreSQL: `impl MemoryStore for PostgresStore` in `store.rs`, its SQL in the other
//! files. Candidates come from SQL (an HNSW leg and a `websearch_to_tsquery` leg, filtered in SQL); core's
//! `scoring::rank` orders them. Every change appends to `bs_memory_log` in the transaction that makes it.

mod audit;
mod change;
mod read;
mod recall;
mod remember;
mod restage;
mod row;
mod space;
mod store;
