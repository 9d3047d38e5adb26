//! Module documentation generated from each module's argument schema, whose
//! descriptions are the doc comments on the argument struct: the docs
//! cannot drift from the code.

use serde_json::Value;

use modules::registry::{ModuleSpec, Side};

/// One argument: name, type, whether required, description.
pub struct ArgDoc {
    pub name: String,
    pub ty: String,
    pub required: bool,
    pub description: String,
    pub aliases: Vec<String>,
}

fn resolve<'a>(s: &'a Value, root: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/")) {
        Some(path) => path.split('/').try_fold(root, |n, p| n.get(p)).unwrap_or(s),
        None => s,
    }
}

fn type_name(s: &Value, root: &Value) -> String {
    let s = resolve(s, root);
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        return values.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("|");
    }
    if let Some(c) = s.get("const").and_then(Value::as_str) {
        return c.to_string();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(subs) = s.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = subs.iter().map(|x| type_name(x, root)).filter(|t| t != "null").collect();
            return parts.join("|");
        }
    }
    match s.get("type") {
        Some(Value::String(t)) if t == "array" => format!("list of {}", s.get("items").map(|i| type_name(i, root)).unwrap_or("any".into())),
        Some(Value::String(t)) if t == "object" && s.get("properties").is_some() => "mapping (see below)".into(),
        Some(Value::String(t)) => t.replace("object", "mapping"),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect::<Vec<_>>().join("|"),
        _ => "any".into(),
    }
}

/// The arguments of a module, from its schema.
pub fn arguments(spec: &ModuleSpec) -> (String, Vec<ArgDoc>) {
    let root = serde_json::to_value((spec.schema)()).unwrap_or(Value::Null);
    let summary = root.get("description").and_then(Value::as_str).unwrap_or("").to_string();
    let required: Vec<&str> =
        root.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let mut args = Vec::new();
    if let Some(props) = root.get("properties").and_then(Value::as_object) {
        for (name, schema) in props {
            let description = schema
                .get("description")
                .or_else(|| resolve(schema, &root).get("description"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            args.push(ArgDoc {
                name: name.clone(),
                ty: type_name(schema, &root),
                required: required.contains(&name.as_str()),
                description,
                aliases: Vec::new(),
            });
        }
    }
    (summary, args)
}

/// The argument names a module accepts, or `None` when it takes any key (e.g. `set_fact`).
pub fn argument_names(spec: &ModuleSpec) -> Option<Vec<String>> {
    let root = serde_json::to_value((spec.schema)()).unwrap_or(Value::Null);
    if root.get("additionalProperties") != Some(&Value::Bool(false)) {
        return None;
    }
    root.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect())
}

/// The documentation of one module as Markdown.
pub fn markdown(spec: &ModuleSpec) -> String {
    let (summary, args) = arguments(spec);
    let mut out = format!("# {}\n\n{}\n\n", spec.name, summary.trim());
    out.push_str(match spec.side {
        Side::Remote => "Runs on the host, in `dpctl-agent`.\n\n",
        Side::Controller => "Runs in the executor (never on a host).\n\n",
    });
    out.push_str(&format!("Names: `{0}`, `ansible.builtin.{0}`.\n\n", spec.name));
    if !args.is_empty() {
        out.push_str("| argument | type | required | description |\n|---|---|---|---|\n");
        for a in &args {
            let desc = a.description.replace('\n', " ");
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                a.name,
                a.ty.replace('|', "\\|"),
                if a.required { "yes" } else { "" },
                desc
            ));
        }
    }
    out
}

/// The documentation of one module as plain text, for `dpctl modules NAME`.
pub fn text(spec: &ModuleSpec) -> String {
    let (summary, args) = arguments(spec);
    let mut out = format!("{} — {}\n", spec.name, summary.lines().next().unwrap_or(""));
    let width = args.iter().map(|a| a.name.len()).max().unwrap_or(0);
    for a in &args {
        let req = if a.required { " (required)" } else { "" };
        out.push_str(&format!("  {:width$}  {}{}\n", a.name, a.ty, req));
        for line in a.description.lines() {
            out.push_str(&format!("  {:width$}    {}\n", "", line));
        }
    }
    out
}
