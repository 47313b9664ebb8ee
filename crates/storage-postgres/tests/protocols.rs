//! storage-core's memory, session and task-queue conformance suites against PostgreSQL 18 / pgvector 0.8
//! (`current`) and PostgreSQL 16 / pgvector 0.6 (`compat`); every case gets a fresh schema.

mod common;

mod current {
    storage_core::memory_conformance_tests!(super::common::PgFactory::new(
        storage_postgres::testing::TestServer::Current
    ));
    storage_core::session_conformance_tests!(super::common::PgFactory::new(
        storage_postgres::testing::TestServer::Current
    ));
}

mod compat {
    storage_core::memory_conformance_tests!(super::common::PgFactory::new(
        storage_postgres::testing::TestServer::Compat
    ));
    storage_core::session_conformance_tests!(super::common::PgFactory::new(
        storage_postgres::testing::TestServer::Compat
    ));
}
