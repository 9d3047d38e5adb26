//! The schema model both sides are read into (the wanted one from CQL or structured args, the
//! live one from `system_schema.*`), and how each part is written back as CQL.

use std::collections::BTreeMap;
use std::fmt;

/// A CQL data type, as written or as `system_schema.columns.type` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CqlType {
    Native(String),
    List(Box<CqlType>),
    Set(Box<CqlType>),
    Map(Box<CqlType>, Box<CqlType>),
    Tuple(Vec<CqlType>),
    Frozen(Box<CqlType>),
    Vector(Box<CqlType>, u32),
    /// A user-defined type, by name (keyspace dropped: a UDT is always of the table's keyspace).
    Udt(String),
    /// `'org.apache…Type'`
    Custom(String),
}

impl CqlType {
    /// The form Cassandra stores: `varchar` is `text`, tuples are always frozen, `frozen<frozen<x>>`
    /// is `frozen<x>`.
    pub fn normalized(&self) -> CqlType {
        use CqlType::*;
        match self {
            Native(n) if n == "varchar" => Native("text".into()),
            Native(n) => Native(n.clone()),
            List(t) => List(Box::new(t.normalized())),
            Set(t) => Set(Box::new(t.normalized())),
            Map(k, v) => Map(Box::new(k.normalized()), Box::new(v.normalized())),
            Tuple(ts) => Frozen(Box::new(Tuple(ts.iter().map(CqlType::normalized).collect()))),
            Frozen(t) => match t.normalized() {
                Frozen(inner) => Frozen(inner),
                other => Frozen(Box::new(other)),
            },
            Vector(t, n) => Vector(Box::new(t.normalized()), *n),
            Udt(n) => Udt(n.clone()),
            Custom(c) => Custom(c.clone()),
        }
    }
}

impl fmt::Display for CqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CqlType::*;
        match self {
            Native(n) => f.write_str(n),
            List(t) => write!(f, "list<{t}>"),
            Set(t) => write!(f, "set<{t}>"),
            Map(k, v) => write!(f, "map<{k}, {v}>"),
            Tuple(ts) => write!(f, "tuple<{}>", ts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
            Frozen(t) => write!(f, "frozen<{t}>"),
            Vector(t, n) => write!(f, "vector<{t}, {n}>"),
            Udt(n) => f.write_str(&ident(n)),
            Custom(c) => write!(f, "'{}'", c.replace('\'', "''")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

impl Order {
    pub fn word(self) -> &'static str {
        match self {
            Order::Asc => "ASC",
            Order::Desc => "DESC",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: CqlType,
    pub is_static: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub partition_key: Vec<String>,
    pub clustering: Vec<(String, Order)>,
    /// Table options other than the clustering order, as written (`compaction = {…}`, …).
    pub options: Vec<String>,
    /// False when the input only alters the table (it must then exist already).
    pub declared: bool,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// `PRIMARY KEY ((a, b), c)` as written in a CREATE TABLE.
    pub fn primary_key_cql(&self) -> String {
        let pk = self.partition_key.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
        let mut s = format!("PRIMARY KEY (({pk})");
        for (c, _) in &self.clustering {
            s.push_str(", ");
            s.push_str(&ident(c));
        }
        s.push(')');
        s
    }

    pub fn create_cql(&self, keyspace: &str) -> String {
        let mut s = format!("CREATE TABLE IF NOT EXISTS {}.{} (\n", ident(keyspace), ident(&self.name));
        for c in &self.columns {
            s.push_str(&format!("    {} {}{},\n", ident(&c.name), c.ty, if c.is_static { " STATIC" } else { "" }));
        }
        s.push_str(&format!("    {}\n)", self.primary_key_cql()));
        let mut with = Vec::new();
        if self.clustering.iter().any(|(_, o)| *o == Order::Desc) {
            let order = self.clustering.iter().map(|(c, o)| format!("{} {}", ident(c), o.word())).collect::<Vec<_>>().join(", ");
            with.push(format!("CLUSTERING ORDER BY ({order})"));
        }
        with.extend(self.options.iter().cloned());
        if !with.is_empty() {
            s.push_str(" WITH ");
            s.push_str(&with.join(" AND "));
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Udt {
    pub name: String,
    pub fields: Vec<(String, CqlType)>,
}

impl Udt {
    pub fn create_cql(&self, keyspace: &str) -> String {
        let fields = self.fields.iter().map(|(n, t)| format!("{} {t}", ident(n))).collect::<Vec<_>>().join(", ");
        format!("CREATE TYPE IF NOT EXISTS {}.{} ({fields})", ident(keyspace), ident(&self.name))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub name: String,
    pub table: String,
    /// `col`, `keys(col)`, `values(col)`, `entries(col)` or `full(col)`, as system_schema shows it.
    pub target: String,
    /// The class of a CUSTOM index.
    pub using: Option<String>,
    pub options: Option<String>,
}

impl Index {
    pub fn create_cql(&self, keyspace: &str) -> String {
        let custom = if self.using.is_some() { "CUSTOM " } else { "" };
        let mut s = format!(
            "CREATE {custom}INDEX IF NOT EXISTS {} ON {}.{} ({})",
            ident(&self.name),
            ident(keyspace),
            ident(&self.table),
            self.target
        );
        if let Some(class) = &self.using {
            s.push_str(&format!(" USING '{}'", class.replace('\'', "''")));
            if let Some(o) = &self.options {
                s.push_str(&format!(" WITH OPTIONS = {o}"));
            }
        }
        s
    }

    /// Cassandra's name for an index created without one.
    pub fn default_name(table: &str, column: &str) -> String {
        format!("{table}_{column}_idx").chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Keyspace {
    pub name: String,
    /// `None` when the input uses the keyspace without creating it.
    pub replication: Option<BTreeMap<String, String>>,
    pub durable_writes: Option<bool>,
    pub types: Vec<Udt>,
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
}

impl Keyspace {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
    pub fn udt(&self, name: &str) -> Option<&Udt> {
        self.types.iter().find(|t| t.name == name)
    }

    pub fn create_cql(&self) -> String {
        let mut s = format!(
            "CREATE KEYSPACE IF NOT EXISTS {} WITH replication = {}",
            ident(&self.name),
            replication_cql(self.replication.as_ref())
        );
        if let Some(d) = self.durable_writes {
            s.push_str(&format!(" AND durable_writes = {d}"));
        }
        s
    }
}

/// `{'class': 'SimpleStrategy', 'replication_factor': '1'}`
pub fn replication_cql(r: Option<&BTreeMap<String, String>>) -> String {
    let Some(r) = r else { return "{}".into() };
    let mut parts: Vec<String> = Vec::new();
    if let Some(c) = r.get("class") {
        parts.push(format!("'class': '{c}'"));
    }
    for (k, v) in r.iter().filter(|(k, _)| k.as_str() != "class") {
        parts.push(format!("'{}': '{}'", k.replace('\'', "''"), v.replace('\'', "''")));
    }
    format!("{{{}}}", parts.join(", "))
}

/// Replication compared the way Cassandra means it: the class without its package.
pub fn normalized_replication(r: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    r.iter()
        .map(|(k, v)| {
            let v =
                if k == "class" { v.strip_prefix("org.apache.cassandra.locator.").unwrap_or(v).to_string() } else { v.trim().to_string() };
            (k.clone(), v)
        })
        .collect()
}

/// A row the input wants present (`INSERT … IF NOT EXISTS`).
#[derive(Debug, Clone, PartialEq)]
pub struct Seed {
    pub keyspace: String,
    pub table: String,
    /// The statement to run, keyspace-qualified.
    pub cql: String,
    /// Column name → the literal as written.
    pub values: Vec<(String, String)>,
}

/// Something the input asks to remove (`DROP …`, `ALTER TABLE … DROP`).
#[derive(Debug, Clone, PartialEq)]
pub enum DropTarget {
    Keyspace(String),
    Table(String, String),
    Type(String, String),
    Index(String, String),
    Column(String, String, String),
}

/// The whole wanted schema, in the order the input gives it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    pub keyspaces: Vec<Keyspace>,
    pub seeds: Vec<Seed>,
    pub drops: Vec<DropTarget>,
}

impl Schema {
    pub fn keyspace(&self, name: &str) -> Option<&Keyspace> {
        self.keyspaces.iter().find(|k| k.name == name)
    }
    pub fn keyspace_mut(&mut self, name: &str) -> &mut Keyspace {
        if let Some(i) = self.keyspaces.iter().position(|k| k.name == name) {
            return &mut self.keyspaces[i];
        }
        self.keyspaces.push(Keyspace { name: name.to_string(), ..Keyspace::default() });
        let last = self.keyspaces.len() - 1;
        &mut self.keyspaces[last]
    }
}

const RESERVED: &[&str] = &[
    "add",
    "allow",
    "alter",
    "and",
    "apply",
    "asc",
    "authorize",
    "batch",
    "begin",
    "by",
    "columnfamily",
    "create",
    "delete",
    "desc",
    "describe",
    "drop",
    "entries",
    "execute",
    "from",
    "full",
    "grant",
    "if",
    "in",
    "index",
    "infinity",
    "insert",
    "into",
    "is",
    "keyspace",
    "limit",
    "modify",
    "nan",
    "norecursive",
    "not",
    "null",
    "of",
    "on",
    "or",
    "order",
    "primary",
    "rename",
    "replace",
    "revoke",
    "schema",
    "select",
    "set",
    "table",
    "to",
    "token",
    "truncate",
    "unlogged",
    "update",
    "use",
    "using",
    "view",
    "where",
    "with",
];

/// An identifier as CQL needs it written: bare when it is lower-case and not reserved, else quoted.
pub fn ident(name: &str) -> String {
    let bare = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&name);
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(ident("device_id"), "device_id");
        assert_eq!(ident("deviceId"), "\"deviceId\"");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn types_normalize_like_cassandra() {
        let t = CqlType::Map(Box::new(CqlType::Native("varchar".into())), Box::new(CqlType::Tuple(vec![CqlType::Native("int".into())])));
        assert_eq!(t.normalized().to_string(), "map<text, frozen<tuple<int>>>");
        let f = CqlType::Frozen(Box::new(CqlType::Frozen(Box::new(CqlType::Udt("requests".into())))));
        assert_eq!(f.normalized().to_string(), "frozen<requests>");
    }
}
