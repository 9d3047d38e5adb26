//! The analytics consumer-channel mapping (`<env>_consumer_channel_mapping`):
//! the table is created when missing, one row is upserted, and the row counts
//! as changed only when it is new or its status differs. As in the original
//! job, an existing row keeps its `created_by` and `created_on`.

use postgres::Client;
use schemars::JsonSchema;
use serde::Deserialize;

use super::connect::pg_error;
use super::quote::ident;
use super::step::{Action, Step, Target};
use crate::error::ModuleError;

/// One consumer/channel row.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingSpec {
    /// The environment prefix of the table (`dev` → `dev_consumer_channel_mapping`).
    pub env: String,
    pub consumer_id: String,
    pub channel: String,
    #[serde(deserialize_with = "status")]
    #[schemars(with = "i16")]
    pub status: i16,
    pub created_by: String,
}

fn status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i16, D::Error> {
    let n = crate::pipeline::lenient::u64(d)?;
    i16::try_from(n).map_err(|_| serde::de::Error::custom(format!("status {n} does not fit a smallint")))
}

impl MappingSpec {
    pub fn table(&self) -> String {
        format!("{}_consumer_channel_mapping", self.env)
    }
}

/// Whether the table exists, and the row's status if the row does.
pub fn query(client: &mut Client, m: &MappingSpec) -> Result<(bool, Option<i16>), ModuleError> {
    let table = ident(&m.table())?;
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .map_err(|e| pg_error(&format!("looking for {}", m.table()), &e))?
        .get(0);
    if !exists {
        return Ok((false, None));
    }
    let row = client
        .query_opt(&format!("SELECT status FROM {table} WHERE consumer_id = $1 AND channel = $2"), &[&m.consumer_id, &m.channel])
        .map_err(|e| pg_error(&format!("reading {}", m.table()), &e))?;
    Ok((true, row.map(|r| r.get(0))))
}

pub fn plan(m: &MappingSpec, table_exists: bool, current: Option<i16>) -> Result<Vec<Step>, ModuleError> {
    let table = ident(&m.table())?;
    let mut steps = vec![];
    if !table_exists {
        steps.push(Step::sql(
            Target::Database,
            format!(
                "CREATE TABLE IF NOT EXISTS {table} (consumer_id text, channel text, status smallint, created_by text, \
                 created_on timestamptz, updated_on timestamptz, PRIMARY KEY (consumer_id, channel))"
            ),
            format!("table {}: absent", m.table()),
            format!("table {}: present", m.table()),
        ));
    }
    if current == Some(m.status) {
        return Ok(steps);
    }
    let sql = format!(
        "INSERT INTO {table} (consumer_id, channel, status, created_by, created_on, updated_on) \
         VALUES ($1, $2, $3::text::smallint, $4, now(), now()) \
         ON CONFLICT (consumer_id, channel) DO UPDATE SET status = EXCLUDED.status, updated_on = now()"
    );
    let row = format!("row {} (consumer_id={}, channel={})", m.table(), m.consumer_id, m.channel);
    steps.push(Step {
        target: Target::Database,
        shown: format!("{sql} -- ({:?}, {:?}, {}, {:?})", m.consumer_id, m.channel, m.status, m.created_by),
        action: Action::Params {
            sql,
            params: [&m.consumer_id, &m.channel, &m.status.to_string(), &m.created_by].map(|v| Some(v.to_string())).to_vec(),
        },
        before: match current {
            Some(s) => format!("{row}: status={s}"),
            None => format!("{row}: absent"),
        },
        after: format!("{row}: status={}", m.status),
    });
    Ok(steps)
}
