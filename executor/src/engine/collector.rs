//! Problems found while walking many hosts: the same problem on several
//! hosts is reported once, naming the hosts.

use crate::diag::{Diagnostic, Diagnostics};

#[derive(Default)]
pub struct Collector {
    entries: Vec<(Diagnostic, Vec<String>)>,
}

impl Collector {
    /// Record `d`, found on `host` (or on no host in particular).
    pub fn push(&mut self, d: Diagnostic, host: Option<&str>) {
        let key = |x: &Diagnostic| (x.message.clone(), x.span.as_ref().map(|s| s.to_string()));
        if let Some((_, hosts)) = self.entries.iter_mut().find(|(e, _)| key(e) == key(&d)) {
            if let Some(h) = host {
                if !hosts.iter().any(|x| x == h) {
                    hosts.push(h.to_string());
                }
            }
            return;
        }
        self.entries.push((d, host.map(|h| vec![h.to_string()]).unwrap_or_default()));
    }

    pub fn extend(&mut self, ds: Diagnostics) {
        for d in ds.0 {
            self.push(d, None);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.entries.iter().any(|(d, _)| d.is_error())
    }

    pub fn finish(self) -> Diagnostics {
        Diagnostics(
            self.entries
                .into_iter()
                .map(|(mut d, hosts)| {
                    if !hosts.is_empty() {
                        let on = match hosts.len() {
                            1 => format!("on host {}", hosts[0]),
                            n if n <= 5 => format!("on hosts {}", hosts.join(", ")),
                            n => format!("on {} hosts ({}, …)", n, hosts[..3].join(", ")),
                        };
                        d.label = Some(match d.label.take() {
                            Some(l) => format!("{l} ({on})"),
                            None => on,
                        });
                    }
                    d
                })
                .collect(),
        )
    }
}
