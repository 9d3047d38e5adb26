//! Reading the cluster, sending a plan, and waiting until the cluster shows it.

use std::time::{Duration, Instant};

use super::failed;
use super::plan::{self, Action, Observed, TopicPlan, Wanted, World};
use crate::pipeline::kafka::error::TOPIC_ALREADY_EXISTS;
use crate::pipeline::kafka::{Admin, KafkaError, NewTopic, TopicConfigAlter};
use crate::ModuleError;

/// Metadata for all the names, then the configs of those that exist.
pub(super) fn read_world(admin: &mut Admin, names: &[String]) -> Result<World, KafkaError> {
    let topics = admin.metadata(names)?;
    let existing: Vec<String> = topics.keys().cloned().collect();
    let mut configs = admin.describe_topic_configs(&existing)?;
    // A topic with no configs is being deleted (the config view was quicker than Metadata).
    Ok(topics
        .into_values()
        .filter_map(|t| {
            let configs = configs.remove(&t.name)?;
            Some((t.name, Observed { partitions: t.partitions, replication_factor: t.replication_factor, configs }))
        })
        .collect())
}

/// Send the plan: first every change with `validate_only` (so a config the
/// broker rejects stops the run before anything happened), then for real.
pub(super) fn apply(admin: &mut Admin, plans: &[TopicPlan], before: &World, timeout: Duration) -> Result<(), KafkaError> {
    let mut creates = Vec::new();
    let mut raises = Vec::new();
    let mut alters = Vec::new();
    let mut deletes = Vec::new();
    for p in plans {
        let mut alter = TopicConfigAlter { topic: p.name.clone(), ..Default::default() };
        for action in &p.actions {
            match action {
                Action::Create { partitions, replication_factor, config } => creates.push(NewTopic {
                    name: p.name.clone(),
                    partitions: *partitions,
                    replication_factor: *replication_factor,
                    config: config.clone(),
                }),
                Action::RaisePartitions { to, .. } => raises.push((p.name.clone(), *to)),
                Action::SetConfig { key, to, .. } => {
                    alter.set.insert(key.clone(), to.clone());
                }
                Action::ResetConfig { key, .. } => {
                    alter.delete.insert(key.clone());
                }
                Action::Delete => deletes.push(p.name.clone()),
            }
        }
        if !alter.set.is_empty() || !alter.delete.is_empty() {
            alter.dynamic_before = before.get(&p.name).map(Observed::dynamic_configs).unwrap_or_default();
            alters.push(alter);
        }
    }
    if !creates.is_empty() {
        wait_until_creatable(admin, &creates, timeout)?;
    }
    for validate_only in [true, false] {
        if !creates.is_empty() {
            admin.create_topics(&creates, validate_only)?;
        }
        if !raises.is_empty() {
            admin.create_partitions(&raises, validate_only)?;
        }
        admin.alter_topic_configs(&alters, validate_only)?;
    }
    if !deletes.is_empty() {
        admin.delete_topics(&deletes)?;
    }
    Ok(())
}

/// A ZooKeeper-era broker (before KRaft) deletes a topic in the background:
/// Metadata stops listing it at once, but creating it again fails with
/// TOPIC_ALREADY_EXISTS until the deletion is done. Wait for that (validate-only
/// creates change nothing), up to the timeout.
fn wait_until_creatable(admin: &mut Admin, creates: &[NewTopic], timeout: Duration) -> Result<(), KafkaError> {
    let deadline = Instant::now() + timeout;
    loop {
        match admin.create_topics(creates, true) {
            Err(KafkaError::Topics { failures, .. })
                if Instant::now() < deadline && failures.iter().all(|f| f.code == TOPIC_ALREADY_EXISTS) =>
            {
                std::thread::sleep(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// Re-read until the cluster shows what was asked: a broker applies the
/// controller's changes to its own view a moment later, and the next task
/// (or the next run) must see them.
pub(super) fn settle(admin: &mut Admin, wanted: &[Wanted], names: &[String], timeout: Duration) -> Result<World, ModuleError> {
    let deadline = Instant::now() + timeout;
    loop {
        let world = read_world(admin, names).map_err(failed)?;
        let pending = plan::plan(wanted, &world).map(|plans| plans.iter().any(|p| !p.actions.is_empty())).unwrap_or(true);
        if !pending {
            return Ok(world);
        }
        if Instant::now() >= deadline {
            return Err(failed(KafkaError::Timeout {
                secs: timeout.as_secs(),
                what: "the cluster to show the changes that were sent (they were accepted; rerun to check)".into(),
            }));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
