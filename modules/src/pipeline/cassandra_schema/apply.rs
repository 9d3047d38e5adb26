//! Talks to the cluster: connects, runs the planned DDL (waiting for schema agreement after each
//! statement, so the next one sees it on every node), and inserts the seed rows that are missing.

use std::time::Duration;

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;

use super::live_schema::{rows, CqlError};
use super::plan::SeedCheck;
use super::schema::Seed;

/// Connect to `hosts` (`host:port` each).
pub async fn connect(hosts: &[String], credentials: Option<(&str, &str)>) -> Result<Session, CqlError> {
    let mut b = SessionBuilder::new()
        .known_nodes(hosts)
        .connection_timeout(Duration::from_secs(10))
        .schema_agreement_timeout(Duration::from_secs(60));
    if let Some((user, password)) = credentials {
        b = b.user(user, password);
    }
    b.build().await.map_err(|e| CqlError::Connect { hosts: hosts.join(","), msg: e.to_string() })
}

async fn execute(session: &Session, stmt: &str) -> Result<(), CqlError> {
    session.query_unpaged(stmt, &[]).await.map_err(|e| CqlError::Query { stmt: stmt.to_string(), msg: e.to_string() })?;
    Ok(())
}

/// Run DDL in order; each statement waits for the cluster to agree on the new schema.
pub async fn run_ddl(session: &Session, statements: &[String]) -> Result<(), CqlError> {
    for s in statements {
        execute(session, s).await?;
        session
            .await_schema_agreement()
            .await
            .map_err(|e| CqlError::Query { stmt: s.clone(), msg: format!("no schema agreement: {e}") })?;
    }
    Ok(())
}

/// The seeds whose row is not there (a seed whose table does not exist yet is missing).
pub async fn missing_seeds(session: &Session, seeds: &[SeedCheck], tables_exist: bool) -> Result<Vec<Seed>, CqlError> {
    let mut missing = Vec::new();
    for s in seeds {
        if !(tables_exist || s.table_exists) {
            missing.push(s.seed.clone());
            continue;
        }
        let found: Vec<(scylla::value::CqlValue,)> = rows(session, &s.select).await?;
        if found.is_empty() {
            missing.push(s.seed.clone());
        }
    }
    Ok(missing)
}

pub async fn insert_seeds(session: &Session, seeds: &[Seed]) -> Result<(), CqlError> {
    for s in seeds {
        execute(session, &s.cql).await?;
    }
    Ok(())
}
