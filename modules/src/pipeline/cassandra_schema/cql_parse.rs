//! Reads the CQL a schema file contains into a [`Schema`]: CREATE KEYSPACE / TYPE / TABLE / INDEX,
//! ALTER TABLE … ADD / DROP, ALTER TYPE … ADD, DROP …, USE, and seed rows as
//! `INSERT … IF NOT EXISTS`. Comments (`--`, `//`, `/* */`), quoted identifiers, string literals
//! and collection, frozen, tuple and user-defined types are understood. Anything else is an error
//! naming its line, so a file never half-applies silently.

use std::collections::BTreeMap;

use thiserror::Error;

use super::schema::{ident, Column, CqlType, DropTarget, Index, Order, Schema, Seed, Table, Udt};

#[derive(Debug, Error, PartialEq)]
#[error("CQL line {line}: {msg}")]
pub struct ParseError {
    pub line: usize,
    pub msg: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A bare word; compared without case, lower-cased as a name.
    Word,
    /// A `"quoted"` identifier (text is the unquoted name).
    Quoted,
    /// A `'string'` or `$$string$$` (text is the raw literal).
    Str,
    /// A number, UUID, or other literal starting with a digit or `-`.
    Number,
    Sym(char),
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    text: String,
    line: usize,
    start: usize,
    end: usize,
}

fn tokenize(src: &str) -> Result<Vec<Tok>, ParseError> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let err = |line, msg: &str| ParseError { line, msg: msg.to_string() };
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            _ if c.is_ascii_whitespace() => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let open = line;
                i += 2;
                loop {
                    if i + 1 >= b.len() {
                        return Err(err(open, "unterminated /* comment"));
                    }
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    if b[i] == b'*' && b[i + 1] == b'/' {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            b'\'' | b'"' => {
                let open = line;
                i += 1;
                let mut text = String::new();
                loop {
                    let Some(&d) = b.get(i) else {
                        return Err(err(open, if c == b'"' { "unterminated quoted identifier" } else { "unterminated string" }));
                    };
                    if d == c {
                        if b.get(i + 1) == Some(&c) {
                            text.push(c as char);
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    if d == b'\n' {
                        line += 1;
                    }
                    // Copy whole UTF-8 characters.
                    let ch_len = src[i..].chars().next().map(char::len_utf8).unwrap_or(1);
                    text.push_str(&src[i..i + ch_len]);
                    i += ch_len;
                }
                let (kind, text) = if c == b'"' { (Kind::Quoted, text) } else { (Kind::Str, src[start..i].to_string()) };
                toks.push(Tok { kind, text, line: open, start, end: i });
            }
            b'$' if b.get(i + 1) == Some(&b'$') => {
                let open = line;
                let close = src[i + 2..].find("$$").ok_or_else(|| err(open, "unterminated $$ string"))?;
                let end = i + 2 + close + 2;
                line += src[i..end].matches('\n').count();
                toks.push(Tok { kind: Kind::Str, text: src[i..end].to_string(), line: open, start, end });
                i = end;
            }
            _ if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b"_.-+".contains(&b[i])) {
                    i += 1;
                }
                toks.push(Tok { kind: Kind::Number, text: src[start..i].to_string(), line, start, end: i });
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                toks.push(Tok { kind: Kind::Word, text: src[start..i].to_string(), line, start, end: i });
            }
            _ if b"(),;.<>{}[]=:?*+-".contains(&c) => {
                i += 1;
                toks.push(Tok { kind: Kind::Sym(c as char), text: (c as char).to_string(), line, start, end: i });
            }
            _ => return Err(err(line, &format!("unexpected character {:?}", src[i..].chars().next().unwrap_or('?')))),
        }
    }
    Ok(toks)
}

struct Cursor<'a> {
    src: &'a str,
    toks: &'a [Tok],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn line(&self) -> usize {
        self.toks.get(self.pos).or(self.toks.last()).map(|t| t.line).unwrap_or(1)
    }
    fn err<T>(&self, msg: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError { line: self.line(), msg: msg.into() })
    }
    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.pos)
    }
    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }
    fn is_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.kind == Kind::Word && t.text.eq_ignore_ascii_case(kw))
    }
    fn kw(&mut self, kw: &str) -> bool {
        let yes = self.is_kw(kw);
        if yes {
            self.pos += 1;
        }
        yes
    }
    fn kws(&mut self, kws: &[&str]) -> bool {
        let save = self.pos;
        for k in kws {
            if !self.kw(k) {
                self.pos = save;
                return false;
            }
        }
        true
    }
    fn expect_kw(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.kw(kw) {
            Ok(())
        } else {
            self.err(format!("expected {}, found {}", kw.to_uppercase(), self.found()))
        }
    }
    fn found(&self) -> String {
        self.peek().map(|t| format!("`{}`", t.text)).unwrap_or_else(|| "the end of the statement".into())
    }
    fn is_sym(&self, c: char) -> bool {
        self.peek().is_some_and(|t| t.kind == Kind::Sym(c))
    }
    fn sym(&mut self, c: char) -> bool {
        let yes = self.is_sym(c);
        if yes {
            self.pos += 1;
        }
        yes
    }
    fn expect_sym(&mut self, c: char) -> Result<(), ParseError> {
        if self.sym(c) {
            Ok(())
        } else {
            self.err(format!("expected `{c}`, found {}", self.found()))
        }
    }
    /// A name: bare words are lower-cased, quoted ones kept as written.
    fn name(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(t) if t.kind == Kind::Word => {
                self.pos += 1;
                Ok(t.text.to_ascii_lowercase())
            }
            Some(t) if t.kind == Kind::Quoted => {
                self.pos += 1;
                Ok(t.text.clone())
            }
            _ => self.err(format!("expected a name, found {}", self.found())),
        }
    }
    /// `[keyspace.]name`
    fn qualified(&mut self) -> Result<(Option<String>, String), ParseError> {
        let first = self.name()?;
        if self.sym('.') {
            Ok((Some(first), self.name()?))
        } else {
            Ok((None, first))
        }
    }
    fn if_not_exists(&mut self) -> bool {
        self.kws(&["if", "not", "exists"])
    }
    fn if_exists(&mut self) -> bool {
        self.kws(&["if", "exists"])
    }
    /// Source text of the tokens from `from` up to (not including) the current one.
    fn text_since(&self, from: usize) -> String {
        match (self.toks.get(from), self.pos.checked_sub(1).and_then(|p| self.toks.get(p))) {
            (Some(a), Some(b)) if self.pos > from => self.src[a.start..b.end].to_string(),
            _ => String::new(),
        }
    }
    /// Skip one balanced value (a literal, a collection, a function call) up to a top-level
    /// `,` / `)` / `AND` / end.
    fn skip_value(&mut self) {
        let mut depth = 0i32;
        while let Some(t) = self.peek() {
            match t.kind {
                Kind::Sym('(' | '{' | '[') => depth += 1,
                Kind::Sym(')' | '}' | ']') if depth == 0 => return,
                Kind::Sym(')' | '}' | ']') => depth -= 1,
                Kind::Sym(',') if depth == 0 => return,
                Kind::Word if depth == 0 && t.text.eq_ignore_ascii_case("and") => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn cql_type(&mut self) -> Result<CqlType, ParseError> {
        if let Some(t) = self.peek() {
            if t.kind == Kind::Str {
                self.pos += 1;
                return Ok(CqlType::Custom(t.text.trim_matches('\'').replace("''", "'")));
            }
        }
        let line = self.line();
        let (ks, name) = self.qualified()?;
        let generic = ks.is_none() && self.is_sym('<');
        let ty = match name.as_str() {
            "frozen" | "list" | "set" if generic => {
                self.expect_sym('<')?;
                let inner = Box::new(self.cql_type()?);
                self.expect_sym('>')?;
                match name.as_str() {
                    "frozen" => CqlType::Frozen(inner),
                    "list" => CqlType::List(inner),
                    _ => CqlType::Set(inner),
                }
            }
            "map" if generic => {
                self.expect_sym('<')?;
                let k = self.cql_type()?;
                self.expect_sym(',')?;
                let v = self.cql_type()?;
                self.expect_sym('>')?;
                CqlType::Map(Box::new(k), Box::new(v))
            }
            "tuple" if generic => {
                self.expect_sym('<')?;
                let mut items = vec![self.cql_type()?];
                while self.sym(',') {
                    items.push(self.cql_type()?);
                }
                self.expect_sym('>')?;
                CqlType::Tuple(items)
            }
            "vector" if generic => {
                self.expect_sym('<')?;
                let t = self.cql_type()?;
                self.expect_sym(',')?;
                let n = match self.peek() {
                    Some(t) if t.kind == Kind::Number => t.text.parse::<u32>().ok(),
                    _ => None,
                };
                let Some(n) = n else { return self.err("expected the vector's dimension") };
                self.pos += 1;
                self.expect_sym('>')?;
                CqlType::Vector(Box::new(t), n)
            }
            n if ks.is_none() && NATIVE.contains(&n) => CqlType::Native(n.to_string()),
            _ if generic => return Err(ParseError { line, msg: format!("unknown type {name}<…>") }),
            _ => CqlType::Udt(name),
        };
        Ok(ty)
    }
}

const NATIVE: &[&str] = &[
    "ascii",
    "bigint",
    "blob",
    "boolean",
    "counter",
    "date",
    "decimal",
    "double",
    "duration",
    "float",
    "inet",
    "int",
    "smallint",
    "text",
    "time",
    "timestamp",
    "timeuuid",
    "tinyint",
    "uuid",
    "varchar",
    "varint",
];

/// Parse a whole CQL file into the wanted schema.
pub fn parse(src: &str) -> Result<Schema, ParseError> {
    let toks = tokenize(src)?;
    let mut schema = Schema::default();
    let mut current_ks: Option<String> = None;
    for stmt in toks.split(|t| t.kind == Kind::Sym(';')) {
        if stmt.is_empty() {
            continue;
        }
        let mut c = Cursor { src, toks: stmt, pos: 0 };
        statement(&mut c, &mut schema, &mut current_ks)?;
        if !c.at_end() {
            return c.err(format!("unexpected {} (is a `;` missing?)", c.found()));
        }
    }
    Ok(schema)
}

fn keyspace_of(c: &Cursor, ks: Option<String>, current: &Option<String>, what: &str) -> Result<String, ParseError> {
    match ks.or_else(|| current.clone()) {
        Some(k) => Ok(k),
        None => c.err(format!("{what} has no keyspace: write keyspace.name or add a USE statement")),
    }
}

fn statement(c: &mut Cursor, schema: &mut Schema, current: &mut Option<String>) -> Result<(), ParseError> {
    if c.kw("use") {
        *current = Some(c.name()?);
        return Ok(());
    }
    if c.kw("create") {
        if c.kw("keyspace") || c.kw("schema") {
            return create_keyspace(c, schema);
        }
        if c.kw("table") || c.kw("columnfamily") {
            return create_table(c, schema, current);
        }
        if c.kw("type") {
            return create_type(c, schema, current);
        }
        let custom = c.kw("custom");
        if c.kw("index") {
            return create_index(c, schema, current, custom);
        }
        return c.err(format!("unsupported CREATE {}", c.found()));
    }
    if c.kw("alter") {
        if c.kw("table") || c.kw("columnfamily") {
            return alter_table(c, schema, current);
        }
        if c.kw("type") {
            return alter_type(c, schema, current);
        }
        return c.err(format!("unsupported ALTER {} (only ALTER TABLE/TYPE … ADD or DROP)", c.found()));
    }
    if c.kw("drop") {
        return drop_stmt(c, schema, current);
    }
    if c.kw("insert") {
        return insert(c, schema, current);
    }
    c.err(format!("unsupported statement starting with {}", c.found()))
}

fn create_keyspace(c: &mut Cursor, schema: &mut Schema) -> Result<(), ParseError> {
    c.if_not_exists();
    let name = c.name()?;
    c.expect_kw("with")?;
    let mut replication = None;
    let mut durable = None;
    loop {
        let opt = c.name()?;
        c.expect_sym('=')?;
        match opt.as_str() {
            "replication" => replication = Some(string_map(c)?),
            "durable_writes" => {
                let v = c.name()?;
                durable = Some(v == "true");
            }
            other => return c.err(format!("unsupported keyspace option {other}")),
        }
        if !c.kw("and") {
            break;
        }
    }
    let Some(replication) = replication else { return c.err(format!("CREATE KEYSPACE {name} needs a replication map")) };
    let ks = schema.keyspace_mut(&name);
    if ks.replication.is_some() {
        return c.err(format!("keyspace {name} is created twice"));
    }
    ks.replication = Some(replication);
    ks.durable_writes = durable;
    Ok(())
}

/// `{'k': 'v', 'n': 1}` with string values.
fn string_map(c: &mut Cursor) -> Result<BTreeMap<String, String>, ParseError> {
    c.expect_sym('{')?;
    let mut m = BTreeMap::new();
    if c.sym('}') {
        return Ok(m);
    }
    loop {
        let k = literal_text(c)?;
        c.expect_sym(':')?;
        let v = literal_text(c)?;
        m.insert(k, v);
        if c.sym('}') {
            return Ok(m);
        }
        c.expect_sym(',')?;
    }
}

fn literal_text(c: &mut Cursor) -> Result<String, ParseError> {
    match c.peek() {
        Some(t) if t.kind == Kind::Str => {
            c.pos += 1;
            Ok(t.text.trim_matches('\'').replace("''", "'"))
        }
        Some(t) if matches!(t.kind, Kind::Number | Kind::Word) => {
            c.pos += 1;
            Ok(t.text.clone())
        }
        _ => c.err(format!("expected a value, found {}", c.found())),
    }
}

fn create_type(c: &mut Cursor, schema: &mut Schema, current: &Option<String>) -> Result<(), ParseError> {
    c.if_not_exists();
    let (ks, name) = c.qualified()?;
    let ks = keyspace_of(c, ks, current, &format!("type {name}"))?;
    c.expect_sym('(')?;
    let mut fields = Vec::new();
    loop {
        let f = c.name()?;
        let t = c.cql_type()?;
        fields.push((f, t));
        if c.sym(')') {
            break;
        }
        c.expect_sym(',')?;
    }
    let k = schema.keyspace_mut(&ks);
    if k.udt(&name).is_some() {
        return c.err(format!("type {ks}.{name} is created twice"));
    }
    k.types.push(Udt { name, fields });
    Ok(())
}

fn name_list(c: &mut Cursor) -> Result<Vec<String>, ParseError> {
    c.expect_sym('(')?;
    let mut v = vec![c.name()?];
    while c.sym(',') {
        v.push(c.name()?);
    }
    c.expect_sym(')')?;
    Ok(v)
}

fn create_table(c: &mut Cursor, schema: &mut Schema, current: &Option<String>) -> Result<(), ParseError> {
    c.if_not_exists();
    let (ks, name) = c.qualified()?;
    let ks = keyspace_of(c, ks, current, &format!("table {name}"))?;
    c.expect_sym('(')?;
    let mut t = Table { name: name.clone(), declared: true, ..Table::default() };
    let mut clustering_cols: Vec<String> = Vec::new();
    loop {
        if c.kws(&["primary", "key"]) {
            if !t.partition_key.is_empty() {
                return c.err(format!("table {ks}.{name} has two primary keys"));
            }
            c.expect_sym('(')?;
            if c.is_sym('(') {
                t.partition_key = name_list(c)?;
            } else {
                t.partition_key = vec![c.name()?];
            }
            while c.sym(',') {
                clustering_cols.push(c.name()?);
            }
            c.expect_sym(')')?;
        } else {
            let col = c.name()?;
            let ty = c.cql_type()?;
            let is_static = c.kw("static");
            if c.kws(&["primary", "key"]) {
                if !t.partition_key.is_empty() {
                    return c.err(format!("table {ks}.{name} has two primary keys"));
                }
                t.partition_key = vec![col.clone()];
            }
            if t.column(&col).is_some() {
                return c.err(format!("column {col} appears twice in {ks}.{name}"));
            }
            t.columns.push(Column { name: col, ty, is_static });
        }
        if c.sym(')') {
            break;
        }
        c.expect_sym(',')?;
    }
    if t.partition_key.is_empty() {
        return c.err(format!("table {ks}.{name} has no PRIMARY KEY"));
    }
    for k in t.partition_key.iter().chain(&clustering_cols) {
        if t.column(k).is_none() {
            return c.err(format!("primary key column {k} of {ks}.{name} is not defined"));
        }
    }
    let mut order: BTreeMap<String, Order> = BTreeMap::new();
    if c.kw("with") {
        loop {
            if c.kws(&["clustering", "order", "by"]) {
                c.expect_sym('(')?;
                loop {
                    let col = c.name()?;
                    let o = if c.kw("desc") {
                        Order::Desc
                    } else {
                        c.kw("asc");
                        Order::Asc
                    };
                    order.insert(col, o);
                    if c.sym(')') {
                        break;
                    }
                    c.expect_sym(',')?;
                }
            } else if c.kws(&["compact", "storage"]) {
                return c.err("COMPACT STORAGE is not supported by Cassandra 4 and later");
            } else {
                let from = c.pos;
                c.name()?;
                c.expect_sym('=')?;
                c.skip_value();
                t.options.push(c.text_since(from));
            }
            if !c.kw("and") {
                break;
            }
        }
    }
    for col in order.keys() {
        if !clustering_cols.contains(col) {
            return c.err(format!("CLUSTERING ORDER names {col}, which is not a clustering column of {ks}.{name}"));
        }
    }
    t.clustering = clustering_cols.into_iter().map(|col| (col.clone(), order.get(&col).copied().unwrap_or(Order::Asc))).collect();
    let k = schema.keyspace_mut(&ks);
    if let Some(existing) = k.tables.iter_mut().find(|x| x.name == name) {
        if existing.declared {
            return c.err(format!("table {ks}.{name} is created twice"));
        }
        // An earlier ALTER … ADD on this table: keep the added columns after the declared ones.
        let added = std::mem::take(&mut existing.columns);
        *existing = t;
        for col in added {
            if existing.column(&col.name).is_none() {
                existing.columns.push(col);
            }
        }
    } else {
        k.tables.push(t);
    }
    Ok(())
}

fn create_index(c: &mut Cursor, schema: &mut Schema, current: &Option<String>, custom: bool) -> Result<(), ParseError> {
    c.if_not_exists();
    let name = if c.is_kw("on") { None } else { Some(c.name()?) };
    c.expect_kw("on")?;
    let (ks, table) = c.qualified()?;
    let ks = keyspace_of(c, ks, current, &format!("index on {table}"))?;
    c.expect_sym('(')?;
    let first = c.name()?;
    let (target, column) = if c.sym('(') {
        if !["keys", "values", "entries", "full"].contains(&first.as_str()) {
            return c.err(format!("unsupported index target {first}(…)"));
        }
        let col = c.name()?;
        c.expect_sym(')')?;
        (format!("{first}({})", ident(&col)), col)
    } else {
        (ident(&first), first)
    };
    c.expect_sym(')')?;
    let mut using = None;
    let mut options = None;
    if c.kw("using") {
        using = Some(literal_text(c)?);
        if c.kws(&["with", "options"]) {
            c.expect_sym('=')?;
            let from = c.pos;
            c.skip_value();
            options = Some(c.text_since(from));
        }
    }
    if custom != using.is_some() {
        return c.err("a CUSTOM INDEX needs USING 'class', and USING needs CUSTOM");
    }
    let name = name.unwrap_or_else(|| Index::default_name(&table, &column));
    schema.keyspace_mut(&ks).indexes.push(Index { name, table, target, using, options });
    Ok(())
}

fn table_entry<'s>(schema: &'s mut Schema, ks: &str, table: &str) -> &'s mut Table {
    let k = schema.keyspace_mut(ks);
    if let Some(i) = k.tables.iter().position(|t| t.name == table) {
        return &mut k.tables[i];
    }
    k.tables.push(Table { name: table.to_string(), declared: false, ..Table::default() });
    let last = k.tables.len() - 1;
    &mut k.tables[last]
}

fn alter_table(c: &mut Cursor, schema: &mut Schema, current: &Option<String>) -> Result<(), ParseError> {
    let (ks, table) = c.qualified()?;
    let ks = keyspace_of(c, ks, current, &format!("table {table}"))?;
    if c.kw("add") {
        c.if_not_exists();
        let mut cols = Vec::new();
        let paren = c.sym('(');
        loop {
            let name = c.name()?;
            let ty = c.cql_type()?;
            let is_static = c.kw("static");
            cols.push(Column { name, ty, is_static });
            if !paren || !c.sym(',') {
                break;
            }
        }
        if paren {
            c.expect_sym(')')?;
        }
        let t = table_entry(schema, &ks, &table);
        for col in cols {
            match t.column(&col.name) {
                Some(existing) if existing.ty.normalized() != col.ty.normalized() => {
                    return c.err(format!("{ks}.{table}.{} is added as {} but defined as {}", col.name, col.ty, existing.ty));
                }
                Some(_) => {}
                None => t.columns.push(col),
            }
        }
        return Ok(());
    }
    if c.kw("drop") {
        c.if_exists();
        let cols = if c.is_sym('(') { name_list(c)? } else { vec![c.name()?] };
        for col in cols {
            // The wanted table no longer has the column either.
            if let Some(t) = schema.keyspace_mut(&ks).tables.iter_mut().find(|t| t.name == table) {
                t.columns.retain(|c| c.name != col);
            }
            schema.drops.push(DropTarget::Column(ks.clone(), table.clone(), col));
        }
        return Ok(());
    }
    c.err(format!("unsupported ALTER TABLE {ks}.{table} {} (only ADD and DROP)", c.found()))
}

fn alter_type(c: &mut Cursor, schema: &mut Schema, current: &Option<String>) -> Result<(), ParseError> {
    let (ks, name) = c.qualified()?;
    let ks = keyspace_of(c, ks, current, &format!("type {name}"))?;
    c.expect_kw("add")?;
    c.if_not_exists();
    let field = c.name()?;
    let ty = c.cql_type()?;
    let k = schema.keyspace_mut(&ks);
    match k.types.iter_mut().find(|t| t.name == name) {
        Some(t) => {
            if !t.fields.iter().any(|(f, _)| *f == field) {
                t.fields.push((field, ty));
            }
            Ok(())
        }
        None => c.err(format!("ALTER TYPE {ks}.{name}: the type is not created earlier in this CQL")),
    }
}

fn drop_stmt(c: &mut Cursor, schema: &mut Schema, current: &Option<String>) -> Result<(), ParseError> {
    let what = c.name()?;
    c.if_exists();
    let (ks, name) = c.qualified()?;
    let target = match what.as_str() {
        "keyspace" | "schema" if ks.is_none() => DropTarget::Keyspace(name),
        "table" | "columnfamily" => DropTarget::Table(keyspace_of(c, ks, current, &format!("table {name}"))?, name),
        "type" => DropTarget::Type(keyspace_of(c, ks, current, &format!("type {name}"))?, name),
        "index" => DropTarget::Index(keyspace_of(c, ks, current, &format!("index {name}"))?, name),
        other => return c.err(format!("unsupported DROP {}", other.to_uppercase())),
    };
    schema.drops.push(target);
    Ok(())
}

fn insert(c: &mut Cursor, schema: &mut Schema, current: &Option<String>) -> Result<(), ParseError> {
    c.expect_kw("into")?;
    let (ks, table) = c.qualified()?;
    let ks = keyspace_of(c, ks, current, &format!("table {table}"))?;
    let cols = name_list(c)?;
    c.expect_kw("values")?;
    c.expect_sym('(')?;
    let mut values = Vec::new();
    loop {
        let from = c.pos;
        c.skip_value();
        if c.pos == from {
            return c.err(format!("expected a value, found {}", c.found()));
        }
        values.push(c.text_since(from));
        if c.sym(')') {
            break;
        }
        c.expect_sym(',')?;
    }
    if values.len() != cols.len() {
        return c.err(format!("INSERT INTO {ks}.{table}: {} columns but {} values", cols.len(), values.len()));
    }
    if !c.if_not_exists() {
        return c.err(format!(
            "INSERT INTO {ks}.{table} without IF NOT EXISTS would overwrite the row on every run; seed rows must say IF NOT EXISTS"
        ));
    }
    let mut using = String::new();
    if c.kw("using") {
        let from = c.pos - 1;
        while !c.at_end() {
            c.pos += 1;
        }
        using = format!(" {}", c.text_since(from));
    }
    let col_list = cols.iter().map(|x| ident(x)).collect::<Vec<_>>().join(", ");
    let cql = format!("INSERT INTO {}.{} ({col_list}) VALUES ({}) IF NOT EXISTS{using}", ident(&ks), ident(&table), values.join(", "));
    schema.seeds.push(Seed { keyspace: ks, table, cql, values: cols.into_iter().zip(values).collect() });
    Ok(())
}

/// Parse one type as written in structured arguments or `system_schema.columns.type`.
pub fn parse_type(text: &str) -> Result<CqlType, ParseError> {
    let toks = tokenize(text)?;
    let mut c = Cursor { src: text, toks: &toks, pos: 0 };
    let t = c.cql_type()?;
    if !c.at_end() {
        return c.err(format!("unexpected {} after the type {t}", c.found()));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keyspace_type_table_index_alter_and_seed() {
        let cql = r#"
            -- a comment; with a semicolon
            CREATE KEYSPACE IF NOT EXISTS dev_platform_db WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
            /* block
               comment */
            CREATE TYPE IF NOT EXISTS dev_platform_db.requests (type text, "Params" map<text, text>);
            USE dev_platform_db;
            CREATE TABLE IF NOT EXISTS job_request (
                client_key text, request_id text, // trailing comment
                job_id text, status text STATIC, tags frozen<set<varchar>>, reqs list<frozen<requests>>,
                dt timestamp,
                PRIMARY KEY ((client_key), request_id, dt)
            ) WITH CLUSTERING ORDER BY (dt DESC) AND comment = 'jobs; all of them' AND compaction = {'class': 'SizeTieredCompactionStrategy'};
            CREATE INDEX IF NOT EXISTS ON job_request (status);
            CREATE INDEX tags_idx ON dev_platform_db.job_request (values(tags));
            ALTER TABLE dev_platform_db.job_request ADD (location text, attempts int);
            INSERT INTO job_config (id, config) VALUES ('a''b', {'k': 1}) IF NOT EXISTS;
        "#;
        let s = parse(cql).unwrap();
        let ks = s.keyspace("dev_platform_db").unwrap();
        assert_eq!(ks.replication.as_ref().unwrap()["replication_factor"], "1");
        let t = ks.table("job_request").unwrap();
        assert_eq!(t.partition_key, ["client_key"]);
        assert_eq!(t.clustering, [("request_id".to_string(), Order::Asc), ("dt".to_string(), Order::Desc)]);
        assert_eq!(t.column("reqs").unwrap().ty.to_string(), "list<frozen<requests>>");
        assert_eq!(t.column("tags").unwrap().ty.normalized().to_string(), "frozen<set<text>>");
        assert!(t.column("status").unwrap().is_static);
        assert!(t.column("attempts").is_some());
        assert_eq!(t.options, ["comment = 'jobs; all of them'", "compaction = {'class': 'SizeTieredCompactionStrategy'}"]);
        assert_eq!(ks.udt("requests").unwrap().fields[1].0, "Params");
        assert_eq!(ks.indexes[0].name, "job_request_status_idx");
        assert_eq!(ks.indexes[1].target, "values(tags)");
        assert_eq!(s.seeds[0].values, [("id".to_string(), "'a''b'".to_string()), ("config".to_string(), "{'k': 1}".to_string())]);
        assert!(s.seeds[0].cql.starts_with("INSERT INTO dev_platform_db.job_config (id, config) VALUES ('a''b', {'k': 1}) IF NOT EXISTS"));
        assert!(t
            .create_cql("dev_platform_db")
            .contains("WITH CLUSTERING ORDER BY (request_id ASC, dt DESC) AND comment = 'jobs; all of them'"));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("CREATE TABLE ks.t (a int PRIMARY KEY);\nINSERT INTO ks.t (a) VALUES (1);").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("IF NOT EXISTS"), "{e}");
        let e = parse("CREATE TABLE t (a int PRIMARY KEY);").unwrap_err();
        assert!(e.msg.contains("no keyspace"), "{e}");
        let e = parse("\n\nSELECT * FROM ks.t;").unwrap_err();
        assert_eq!((e.line, e.msg.contains("unsupported statement")), (3, true));
        let e = parse("CREATE TABLE ks.t (a int, b int);").unwrap_err();
        assert!(e.msg.contains("no PRIMARY KEY"), "{e}");
        assert!(parse("/* open").unwrap_err().msg.contains("unterminated"));
    }

    #[test]
    fn drops_are_recorded_not_hidden() {
        let s = parse("DROP TABLE IF EXISTS ks.old; ALTER TABLE ks.t DROP legacy;").unwrap();
        assert_eq!(s.drops, [DropTarget::Table("ks".into(), "old".into()), DropTarget::Column("ks".into(), "t".into(), "legacy".into())]);
    }

    #[test]
    fn the_data_pipeline_fixture_parses() {
        let s = parse(include_str!("../../../tests/fixtures/cassandra/data_pipeline.cql")).unwrap();
        let names: Vec<&str> = s.keyspaces.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "dev_learner_db",
                "dev_content_db",
                "dev_creation_metrics_db",
                "dev_device_db",
                "dev_platform_db",
                "dev_creation_db",
                "dev_content_store"
            ]
        );
        let profile = s.keyspace("dev_device_db").unwrap().table("device_profile").unwrap();
        assert!(profile.column("user_declared_district").is_some());
        assert_eq!(s.keyspace("dev_platform_db").unwrap().udt("requests").unwrap().fields.len(), 5);
        assert_eq!(s.seeds.len(), 4);
    }

    #[test]
    fn live_type_strings_parse() {
        assert_eq!(parse_type("frozen<map<text, frozen<list<int>>>>").unwrap().to_string(), "frozen<map<text, frozen<list<int>>>>");
        assert_eq!(parse_type("vector<float, 3>").unwrap().to_string(), "vector<float, 3>");
        assert_eq!(parse_type("\"MyType\"").unwrap(), CqlType::Udt("MyType".into()));
    }
}
