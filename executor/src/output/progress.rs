//! The live progress line on a terminal: while a task is still running on
//! some hosts after a second, one line on stderr says how many are done and
//! which are still at it. It is drawn only between a task's banner and its
//! results (nothing else prints then) and erased before the results.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Which hosts a task still waits for.
#[derive(Clone)]
pub struct Progress {
    running: Arc<Mutex<Vec<String>>>,
    total: usize,
}

/// Draws the line until dropped, then erases it.
pub struct ProgressLine {
    ticker: Option<tokio::task::JoinHandle<()>>,
    drawn: Arc<AtomicBool>,
}

const FIRST_DRAW_AFTER: Duration = Duration::from_secs(1);
const REDRAW_EVERY: Duration = Duration::from_millis(250);

impl Progress {
    pub fn new(hosts: &[String]) -> Progress {
        Progress { running: Arc::new(Mutex::new(hosts.to_vec())), total: hosts.len() }
    }

    pub fn done(&self, host: &str) {
        if let Ok(mut r) = self.running.lock() {
            r.retain(|h| h != host);
        }
    }

    /// The line as drawn, e.g. `  [3s] 47/50 hosts done; waiting for host3, host9, host12`.
    pub fn line(&self, elapsed: Duration) -> String {
        let running = self.running.lock().map(|r| r.clone()).unwrap_or_default();
        let mut names = running.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        if running.len() > 3 {
            names.push_str(&format!(" and {} more", running.len() - 3));
        }
        format!("  [{}s] {}/{} hosts done; waiting for {names}", elapsed.as_secs(), self.total - running.len(), self.total)
    }

    /// Starts drawing on stderr (call only when stderr is a terminal).
    pub fn draw(&self) -> ProgressLine {
        let me = self.clone();
        let started = Instant::now();
        let drawn = Arc::new(AtomicBool::new(false));
        let drew = drawn.clone();
        let ticker = tokio::spawn(async move {
            tokio::time::sleep(FIRST_DRAW_AFTER).await;
            loop {
                {
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K{}", me.line(started.elapsed()));
                    let _ = err.flush();
                }
                drew.store(true, Ordering::Relaxed);
                tokio::time::sleep(REDRAW_EVERY).await;
            }
        });
        ProgressLine { ticker: Some(ticker), drawn }
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        if let Some(t) = self.ticker.take() {
            t.abort();
            if self.drawn.load(Ordering::Relaxed) {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K");
                let _ = err.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_hosts_still_running() {
        let hosts: Vec<String> = (1..=6).map(|i| format!("h{i}")).collect();
        let p = Progress::new(&hosts);
        p.done("h2");
        assert_eq!(p.line(Duration::from_secs(4)), "  [4s] 1/6 hosts done; waiting for h1, h3, h4 and 2 more");
        for h in ["h1", "h3", "h4", "h5"] {
            p.done(h);
        }
        assert_eq!(p.line(Duration::from_secs(5)), "  [5s] 5/6 hosts done; waiting for h6");
    }
}
