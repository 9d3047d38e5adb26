//! `random` and `shuffle`. With `seed=` the choice is stable from run to run
//! (roles use `59 | random(seed=inventory_hostname)` to spread cron jobs);
//! it is not the number Python's `random.Random(seed)` would pick.

use minijinja::value::{Kwargs, Value};
use minijinja::Error;
use serde_json::Value as Json;

use super::super::convert;
use super::collections::json_of;
use super::fail;

/// splitmix64: small, and good enough to pick an index.
struct Picker(u64);

impl Picker {
    fn new(seed: Option<&Value>) -> Result<Self, Error> {
        let state = match seed {
            Some(s) => {
                // FNV-1a of the seed's text: the same seed, the same sequence.
                s.to_string().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
            }
            None => {
                let mut b = [0u8; 8];
                getrandom::fill(&mut b).map_err(|e| fail(format!("random: no random numbers: {e}")))?;
                u64::from_le_bytes(b)
            }
        };
        Ok(Picker(state))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `N | random(start=0, step=1, seed=…)`: a number of range(start, N, step);
/// `list | random`: one of its items.
pub(crate) fn random(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let start: i64 = kwargs.get::<Option<i64>>("start")?.unwrap_or(0);
    let step: i64 = kwargs.get::<Option<i64>>("step")?.unwrap_or(1);
    let seed: Option<Value> = kwargs.get("seed")?;
    kwargs.assert_all_used()?;
    let mut picker = Picker::new(seed.as_ref())?;
    match json_of(&value)? {
        Json::Number(n) => {
            let end = n.as_i64().ok_or_else(|| fail("random: the end of the range must be an integer"))?;
            if step <= 0 || end <= start {
                return Err(fail(format!("random: empty range (start {start}, end {end}, step {step})")));
            }
            let count = ((end - start) + step - 1) / step;
            Ok(Value::from(start + picker.below(count as u64) as i64 * step))
        }
        Json::Array(items) if !items.is_empty() => Ok(convert::from_json(&items[picker.below(items.len() as u64) as usize])),
        Json::String(s) if !s.is_empty() => {
            let chars: Vec<char> = s.chars().collect();
            Ok(Value::from(chars[picker.below(chars.len() as u64) as usize].to_string()))
        }
        other => Err(fail(format!("random: cannot pick from {other}"))),
    }
}

/// `list | shuffle(seed=…)`: the items in a random order (Fisher–Yates).
pub(crate) fn shuffle(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let seed: Option<Value> = kwargs.get("seed")?;
    kwargs.assert_all_used()?;
    let mut picker = Picker::new(seed.as_ref())?;
    let Json::Array(mut items) = json_of(&value)? else { return Err(fail("shuffle expects a list")) };
    for i in (1..items.len()).rev() {
        items.swap(i, picker.below(i as u64 + 1) as usize);
    }
    Ok(convert::from_json(&Json::Array(items)))
}

#[cfg(test)]
mod tests {
    use minijinja::Environment;

    fn render(t: &str) -> String {
        let mut env = Environment::new();
        env.add_filter("random", super::random);
        env.add_filter("shuffle", super::shuffle);
        env.render_str(t, minijinja::context! {}).unwrap()
    }

    #[test]
    fn seeded_picks_are_stable_and_in_range() {
        let a = render("{{ 59 | random(seed='kafka1') }}");
        assert_eq!(a, render("{{ 59 | random(seed='kafka1') }}"));
        let n: i64 = a.parse().unwrap();
        assert!((0..59).contains(&n));
        for _ in 0..50 {
            let n: i64 = render("{{ 10 | random(start=4, step=3) }}").parse().unwrap();
            assert!([4, 7].contains(&n), "{n}");
            assert!(["a", "b"].contains(&render("{{ ['a', 'b'] | random }}").as_str()));
        }
        let mut s: Vec<String> = render("{{ [1, 2, 3, 4] | shuffle(seed=1) | join(',') }}").split(',').map(String::from).collect();
        s.sort();
        assert_eq!(s, ["1", "2", "3", "4"]);
    }
}
