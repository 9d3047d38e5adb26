//! Reads what the cluster has, from `system_schema.keyspaces/types/columns/indexes`, into the
//! same [`Schema`] model the CQL is parsed into, for the keyspaces the input names.

use std::collections::{BTreeMap, HashMap};

use scylla::client::session::Session;

use super::cql_parse::parse_type;
use super::schema::{Column, Index, Keyspace, Order, Schema, Table, Udt};

/// Everything that can go wrong talking to the cluster, with the statement it concerned.
#[derive(Debug, thiserror::Error)]
pub enum CqlError {
    #[error("cannot connect to Cassandra at {hosts}: {msg}")]
    Connect { hosts: String, msg: String },
    #[error("{stmt}: {msg}")]
    Query { stmt: String, msg: String },
    #[error("system_schema: {0}")]
    Schema(String),
}

pub(crate) async fn rows<T>(session: &Session, stmt: &str) -> Result<Vec<T>, CqlError>
where
    T: for<'f, 'm> scylla::deserialize::row::DeserializeRow<'f, 'm>,
{
    let q = |msg: String| CqlError::Query { stmt: stmt.to_string(), msg };
    let result = session.query_unpaged(stmt, &[]).await.map_err(|e| q(e.to_string()))?;
    let rows = result.into_rows_result().map_err(|e| q(e.to_string()))?;
    let iter = rows.rows::<T>().map_err(|e| q(e.to_string()))?;
    iter.map(|r| r.map_err(|e| q(e.to_string()))).collect()
}

type ColumnRow = (String, String, String, String, String, i32, String);

/// The live schema of `names` (keyspaces that do not exist are absent from the result).
pub async fn read(session: &Session, names: &[String]) -> Result<Schema, CqlError> {
    let wanted = |ks: &String| names.contains(ks);
    let mut schema = Schema::default();
    let keyspaces: Vec<(String, HashMap<String, String>, bool)> =
        rows(session, "SELECT keyspace_name, replication, durable_writes FROM system_schema.keyspaces").await?;
    for (name, replication, durable) in keyspaces.into_iter().filter(|k| wanted(&k.0)) {
        schema.keyspaces.push(Keyspace {
            name,
            replication: Some(replication.into_iter().collect()),
            durable_writes: Some(durable),
            ..Keyspace::default()
        });
    }

    let types: Vec<(String, String, Vec<String>, Vec<String>)> =
        rows(session, "SELECT keyspace_name, type_name, field_names, field_types FROM system_schema.types").await?;
    for (ks, name, field_names, field_types) in types.into_iter().filter(|t| wanted(&t.0)) {
        let mut fields = Vec::new();
        for (f, t) in field_names.into_iter().zip(field_types) {
            let ty = parse_type(&t).map_err(|e| CqlError::Schema(format!("type {ks}.{name}.{f} is `{t}`: {e}")))?;
            fields.push((f, ty));
        }
        schema.keyspace_mut(&ks).types.push(Udt { name, fields });
    }

    let columns: Vec<ColumnRow> =
        rows(session, "SELECT keyspace_name, table_name, column_name, clustering_order, kind, position, type FROM system_schema.columns")
            .await?;
    // (keyspace, table) → (partition key by position, clustering by position, columns)
    type Parts = (BTreeMap<i32, String>, BTreeMap<i32, (String, Order)>, Vec<Column>);
    let mut tables: BTreeMap<(String, String), Parts> = BTreeMap::new();
    for (ks, table, col, order, kind, position, ty) in columns.into_iter().filter(|c| wanted(&c.0)) {
        let parsed = parse_type(&ty).map_err(|e| CqlError::Schema(format!("column {ks}.{table}.{col} is `{ty}`: {e}")))?;
        let entry = tables.entry((ks, table)).or_default();
        match kind.as_str() {
            "partition_key" => {
                entry.0.insert(position, col.clone());
            }
            "clustering" => {
                entry.1.insert(position, (col.clone(), if order == "desc" { Order::Desc } else { Order::Asc }));
            }
            _ => {}
        }
        entry.2.push(Column { name: col, ty: parsed, is_static: kind == "static" });
    }
    for ((ks, name), (pk, ck, columns)) in tables {
        schema.keyspace_mut(&ks).tables.push(Table {
            name,
            columns,
            partition_key: pk.into_values().collect(),
            clustering: ck.into_values().collect(),
            options: vec![],
            declared: true,
        });
    }

    let indexes: Vec<(String, String, String, HashMap<String, String>)> =
        rows(session, "SELECT keyspace_name, table_name, index_name, options FROM system_schema.indexes").await?;
    for (ks, table, name, options) in indexes.into_iter().filter(|i| wanted(&i.0)) {
        let target = options.get("target").cloned().unwrap_or_default();
        let using = options.get("class_name").cloned();
        schema.keyspace_mut(&ks).indexes.push(Index { name, table, target, using, options: None });
    }
    Ok(schema)
}
