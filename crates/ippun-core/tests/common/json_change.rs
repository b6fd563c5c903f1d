//! Changes to JSON messages for fuzz-style tests, as an attacker or a broken
//! proxy makes them: a leaf nudged or replaced, a field dropped or added.
//! Shared by the core's parser tests and the center's request tests.

#![allow(dead_code, clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::Value;

/// Every leaf of a JSON value, by path.
fn leaves(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.to_string());
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at_path<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k).unwrap(),
        Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
        _ => unreachable!("a path goes through objects and arrays"),
    })
}

/// One change to a JSON message, as an attacker or a broken proxy makes it.
#[derive(Debug, Clone)]
pub enum Change {
    /// Replace a leaf: a number moved by `delta`, a string with one character
    /// replaced (or emptied), a flag flipped, null made a string.
    Leaf {
        leaf: prop::sample::Index,
        delta: i64,
        ch: char,
        at: prop::sample::Index,
    },
    /// Put another JSON value in place of a leaf.
    Retype {
        leaf: prop::sample::Index,
        with: Value,
    },
    /// Drop a field of the top-level object.
    Drop { field: prop::sample::Index },
    /// Add a field the message does not have.
    Add { name: String },
}

pub fn json_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,80}".prop_map(Value::from),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
    ]
}

pub fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), -3_i64..=3, any::<char>(), any::<prop::sample::Index>())
            .prop_map(|(leaf, delta, ch, at)| Change::Leaf { leaf, delta, ch, at }),
        2 => (any::<prop::sample::Index>(), json_scalar())
            .prop_map(|(leaf, with)| Change::Retype { leaf, with }),
        1 => any::<prop::sample::Index>().prop_map(|field| Change::Drop { field }),
        1 => "[a-z_]{1,12}".prop_map(|name| Change::Add { name }),
    ]
}

pub fn apply(original: &Value, c: &Change) -> Value {
    let mut v = original.clone();
    let mut paths = Vec::new();
    leaves(&v, &mut Vec::new(), &mut paths);
    match c {
        Change::Leaf {
            leaf,
            delta,
            ch,
            at,
        } => {
            let path: &Vec<String> = leaf.get(&paths);
            let target = at_path(&mut v, path);
            *target = match target.take() {
                Value::Number(n) => match n.as_u64() {
                    Some(u) => Value::from(u.wrapping_add_signed(*delta)),
                    None => Value::from(n.as_i64().unwrap_or(0).wrapping_add(*delta)),
                },
                Value::String(s) => {
                    let mut chars: Vec<char> = s.chars().collect();
                    if chars.is_empty() {
                        Value::from(ch.to_string())
                    } else if *delta == 0 {
                        Value::from("")
                    } else {
                        let i = at.index(chars.len());
                        chars[i] = *ch;
                        Value::from(chars.into_iter().collect::<String>())
                    }
                }
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::from(ch.to_string()),
            };
        }
        Change::Retype { leaf, with } => {
            let path: &Vec<String> = leaf.get(&paths);
            *at_path(&mut v, path) = with.clone();
        }
        Change::Drop { field } => {
            if let Value::Object(m) = &mut v {
                let keys: Vec<String> = m.keys().cloned().collect();
                m.remove(field.get(&keys));
            }
        }
        Change::Add { name } => {
            if let Value::Object(m) = &mut v
                && !m.contains_key(name)
            {
                m.insert(name.clone(), Value::from(1));
            }
        }
    }
    v
}
