//! Connect-with-retry: transient failures (refused) are retried with exponential backoff, the final
//! error names the attempts, `host:port` and the cause; failures retrying cannot fix are not retried.

mod common;

use std::time::{Duration, Instant};

use storage_core::StorageError;
use storage_postgres::testing::TestServer;
use storage_postgres::{PostgresError, PostgresStore};
use tokio::net::{TcpListener, TcpStream};

fn io_kind(error: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(sqlx::Error::Io(io)) = error.downcast_ref::<sqlx::Error>() {
            return Some(io.kind());
        }
        current = error.source();
    }
    None
}

#[tokio::test]
async fn a_closed_port_is_retried_exactly_the_configured_times_and_the_cause_is_named() {
    let mut config = common::config(TestServer::Current, "public");
    config.host = "127.0.0.1".into();
    config.port = common::closed_port();
    (config.connect_attempts, config.connect_backoff_ms) = (4, 5);
    let started = Instant::now();
    let error = PostgresStore::connect(config.clone()).await.unwrap_err();
    let elapsed = started.elapsed();
    let PostgresError::Unreachable { target, attempts, source } = &error else { panic!("{error:?}") };
    assert_eq!(*attempts, 4);
    assert_eq!(target, &format!("127.0.0.1:{}", config.port));
    assert_eq!(io_kind(source.as_ref()), Some(std::io::ErrorKind::ConnectionRefused), "{source:?}");
    // Sleeps of 5, 10 and 20 ms between the four attempts, none after the last.
    assert!(elapsed >= Duration::from_millis(35), "backoff slept {elapsed:?}");
    let message = error.to_string();
    assert!(message.contains("after 4 attempt(s)") && message.contains(&target.to_string()), "{message}");
    assert!(message.to_lowercase().contains("refused"), "the root cause is named: {message}");
    let storage = StorageError::from(error);
    assert!(matches!(storage, StorageError::Unavailable { attempts: 4, .. }), "{storage:?}");
    assert!(storage.is_unavailable());
}

#[tokio::test]
async fn a_missing_database_is_not_retried() {
    let mut config = common::config(TestServer::Current, "public");
    config.database = "brainstore_no_such_database".into();
    (config.connect_attempts, config.connect_backoff_ms) = (5, 2_000);
    let started = Instant::now();
    let error = PostgresStore::connect(config).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1_500), "a permanent failure was retried");
    let PostgresError::Refused { target, .. } = &error else { panic!("{error:?}") };
    assert!(target.ends_with("/brainstore_no_such_database"), "{target}");
    assert!(error.to_string().contains("has no database `brainstore_no_such_database`"), "{error}");
}

/// Forwards every connection on `listener` to the real server.
async fn forward(listener: TcpListener, server: String) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        let server = server.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(server).await {
                let _done = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

#[tokio::test]
async fn a_server_that_comes_up_during_the_backoff_is_reached() {
    let real = common::config(TestServer::Current, "public");
    let mut config = real.clone();
    config.host = "127.0.0.1".into();
    config.port = common::closed_port();
    (config.connect_attempts, config.connect_backoff_ms) = (6, 40);
    let port = config.port;
    let server = real.host_port();
    // The "server" starts listening 60 ms in: attempts at 0 and 40 ms are refused, the one at 120 ms works.
    let opener = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(60)).await;
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("the probed port is free again");
        forward(listener, server).await;
    });
    let started = Instant::now();
    let store = PostgresStore::connect(config).await.expect("reached after the server came up");
    assert!(started.elapsed() >= Duration::from_millis(100), "it waited for the server: {:?}", started.elapsed());
    drop(store);
    opener.abort();
}
