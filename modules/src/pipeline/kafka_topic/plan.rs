//! Deciding what to do: wanted topics against what the cluster has, with no
//! I/O, so every refusal is known before anything is sent.

use std::collections::BTreeMap;
use std::fmt;

use crate::pipeline::kafka::{ConfigEntry, ConfigSource};

/// One topic as the arguments describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    pub name: String,
    pub present: bool,
    pub partitions: Option<i32>,
    pub replication_factor: Option<i16>,
    pub config: BTreeMap<String, String>,
    pub config_exclusive: bool,
}

/// One existing topic as the cluster reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub partitions: i32,
    pub replication_factor: i16,
    /// Every topic-level config (DescribeConfigs without a key filter).
    pub configs: Vec<ConfigEntry>,
}

impl Observed {
    /// The configs set on the topic itself (not inherited defaults).
    pub fn dynamic_configs(&self) -> BTreeMap<String, String> {
        self.configs
            .iter()
            .filter(|c| c.source == ConfigSource::DynamicTopic)
            .map(|c| (c.name.clone(), c.value.clone().unwrap_or_default()))
            .collect()
    }
}

/// The existing topics among those asked about, by name.
pub type World = BTreeMap<String, Observed>;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Create {
        partitions: Option<i32>,
        replication_factor: Option<i16>,
        config: BTreeMap<String, String>,
    },
    RaisePartitions {
        from: i32,
        to: i32,
    },
    SetConfig {
        key: String,
        from: Option<String>,
        to: String,
    },
    /// Remove the topic's own value so the broker default applies again.
    ResetConfig {
        key: String,
        from: Option<String>,
    },
    Delete,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_default = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".into());
        match self {
            Action::Create { partitions, replication_factor, config } => {
                write!(f, "create (partitions {}, replication_factor {}", opt(partitions), opt(replication_factor))?;
                for (k, v) in config {
                    write!(f, ", {k}={v}")?;
                }
                write!(f, ")")
            }
            Action::RaisePartitions { from, to } => write!(f, "partitions {from} -> {to}"),
            Action::SetConfig { key, from, to } => write!(f, "config {key}: {} -> {to}", or_default(from)),
            Action::ResetConfig { key, from } => write!(f, "config {key}: {} -> (default)", or_default(from)),
            Action::Delete => write!(f, "delete"),
        }
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "broker default".to_string(), ToString::to_string)
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopicPlan {
    pub name: String,
    pub actions: Vec<Action>,
}

/// What to do for each wanted topic, or every reason to refuse the whole run.
pub fn plan(wanted: &[Wanted], world: &World) -> Result<Vec<TopicPlan>, Vec<String>> {
    let mut plans = Vec::with_capacity(wanted.len());
    let mut refusals = Vec::new();
    for w in wanted {
        let actions = match (w.present, world.get(&w.name)) {
            (false, None) => Vec::new(),
            (false, Some(_)) => vec![Action::Delete],
            (true, None) => {
                vec![Action::Create { partitions: w.partitions, replication_factor: w.replication_factor, config: w.config.clone() }]
            }
            (true, Some(current)) => update(w, current, &mut refusals),
        };
        plans.push(TopicPlan { name: w.name.clone(), actions });
    }
    if refusals.is_empty() {
        Ok(plans)
    } else {
        Err(refusals)
    }
}

fn update(w: &Wanted, current: &Observed, refusals: &mut Vec<String>) -> Vec<Action> {
    let mut actions = Vec::new();
    if let Some(wanted) = w.partitions {
        if wanted < current.partitions {
            refusals.push(format!(
                "topic '{}': cannot lower partitions from {} to {wanted} (Kafka cannot remove partitions; recreate the topic to shrink it)",
                w.name, current.partitions
            ));
        } else if wanted > current.partitions {
            actions.push(Action::RaisePartitions { from: current.partitions, to: wanted });
        }
    }
    if let Some(wanted) = w.replication_factor {
        if wanted != current.replication_factor {
            refusals.push(format!(
                "topic '{}': cannot change replication_factor from {} to {wanted} (that needs a partition reassignment, which kafka_topic does not do)",
                w.name, current.replication_factor
            ));
        }
    }
    let by_name: BTreeMap<&str, &ConfigEntry> = current.configs.iter().map(|c| (c.name.as_str(), c)).collect();
    for (key, value) in &w.config {
        match by_name.get(key.as_str()) {
            None => {
                refusals.push(format!("topic '{}': unknown topic config '{key}' (the broker lists no such topic-level config)", w.name))
            }
            Some(entry) if entry.value.as_deref() == Some(value.as_str()) => {}
            Some(entry) => actions.push(Action::SetConfig { key: key.clone(), from: entry.value.clone(), to: value.clone() }),
        }
    }
    if w.config_exclusive {
        for entry in current.configs.iter().filter(|c| c.source == ConfigSource::DynamicTopic && !w.config.contains_key(&c.name)) {
            actions.push(Action::ResetConfig { key: entry.name.clone(), from: entry.value.clone() });
        }
    }
    actions
}

/// A topic as shown in a diff; `None` fields are left to the broker.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TopicView {
    pub partitions: Option<i32>,
    pub replication_factor: Option<i16>,
    pub config: BTreeMap<String, String>,
}

impl TopicView {
    pub fn of(observed: &Observed) -> TopicView {
        TopicView {
            partitions: Some(observed.partitions),
            replication_factor: Some(observed.replication_factor),
            config: observed.dynamic_configs(),
        }
    }

    /// YAML-like text, stable (sorted) so diffs are readable.
    pub fn render(&self) -> String {
        let mut out = format!("partitions: {}\nreplication_factor: {}\n", opt(&self.partitions), opt(&self.replication_factor));
        if self.config.is_empty() {
            out.push_str("config: {}\n");
        } else {
            out.push_str("config:\n");
            for (k, v) in &self.config {
                out.push_str(&format!("  {k}: {v}\n"));
            }
        }
        out
    }
}

/// The state a plan would leave a topic in (`None`: absent).
pub fn predict(before: Option<&Observed>, actions: &[Action]) -> Option<TopicView> {
    let mut view = before.map(TopicView::of);
    for action in actions {
        match action {
            Action::Create { partitions, replication_factor, config } => {
                view = Some(TopicView { partitions: *partitions, replication_factor: *replication_factor, config: config.clone() })
            }
            Action::Delete => view = None,
            Action::RaisePartitions { to, .. } => {
                if let Some(v) = view.as_mut() {
                    v.partitions = Some(*to);
                }
            }
            Action::SetConfig { key, to, .. } => {
                if let Some(v) = view.as_mut() {
                    v.config.insert(key.clone(), to.clone());
                }
            }
            Action::ResetConfig { key, .. } => {
                if let Some(v) = view.as_mut() {
                    v.config.remove(key);
                }
            }
        }
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, value: &str, source: ConfigSource) -> ConfigEntry {
        ConfigEntry { name: name.into(), value: Some(value.into()), source, read_only: false }
    }

    fn existing(partitions: i32) -> Observed {
        Observed {
            partitions,
            replication_factor: 1,
            configs: vec![
                entry("retention.ms", "3600000", ConfigSource::DynamicTopic),
                entry("cleanup.policy", "delete", ConfigSource::Default),
                entry("max.message.bytes", "1048588", ConfigSource::Default),
            ],
        }
    }

    fn wanted(name: &str) -> Wanted {
        Wanted {
            name: name.into(),
            present: true,
            partitions: Some(4),
            replication_factor: Some(1),
            config: BTreeMap::new(),
            config_exclusive: false,
        }
    }

    #[test]
    fn creates_missing_and_leaves_matching_alone() {
        let mut world = World::new();
        world.insert("b".into(), existing(4));
        let plans = plan(&[wanted("a"), wanted("b")], &world).unwrap();
        assert!(matches!(plans[0].actions[..], [Action::Create { partitions: Some(4), .. }]));
        assert!(plans[1].actions.is_empty());
    }

    #[test]
    fn sets_only_differing_configs_and_resets_unlisted_when_exclusive() {
        let mut world = World::new();
        world.insert("t".into(), existing(4));
        let mut w = wanted("t");
        w.config.insert("cleanup.policy".into(), "delete".into());
        w.config.insert("max.message.bytes".into(), "1572864".into());
        let plans = plan(std::slice::from_ref(&w), &world).unwrap();
        assert_eq!(
            plans[0].actions,
            vec![Action::SetConfig { key: "max.message.bytes".into(), from: Some("1048588".into()), to: "1572864".into() }]
        );
        w.config_exclusive = true;
        let plans = plan(&[w], &world).unwrap();
        assert_eq!(plans[0].actions[1], Action::ResetConfig { key: "retention.ms".into(), from: Some("3600000".into()) });
    }

    #[test]
    fn refuses_shrink_rf_change_and_unknown_config_all_at_once() {
        let mut world = World::new();
        world.insert("t".into(), existing(8));
        let mut w = wanted("t");
        w.replication_factor = Some(3);
        w.config.insert("no.such.config".into(), "1".into());
        let refusals = plan(&[w], &world).unwrap_err();
        assert_eq!(refusals.len(), 3, "{refusals:?}");
        assert!(refusals[0].contains("from 8 to 4"), "{}", refusals[0]);
        assert!(refusals[1].contains("from 1 to 3"), "{}", refusals[1]);
        assert!(refusals[2].contains("no.such.config"), "{}", refusals[2]);
    }

    #[test]
    fn predicts_the_after_state() {
        let before = existing(2);
        let actions = vec![
            Action::RaisePartitions { from: 2, to: 4 },
            Action::ResetConfig { key: "retention.ms".into(), from: None },
            Action::SetConfig { key: "segment.ms".into(), from: None, to: "1000".into() },
        ];
        let after = predict(Some(&before), &actions).unwrap();
        assert_eq!(after.partitions, Some(4));
        assert_eq!(after.config.into_iter().collect::<Vec<_>>(), vec![("segment.ms".to_string(), "1000".to_string())]);
        assert_eq!(predict(Some(&before), &[Action::Delete]), None);
    }
}
