//! JSON mutations for the property tests (the core's checkpoints, the
//! lab's saved sections and summaries).

use proptest::prelude::*;
use serde_json::Value;

/// A small JSON value of any kind.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(0.0f64), Just(-1.0), Just(1e308), Just(1.5), Just(-0.0)].prop_map(Value::from),
        "[a-z_]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Replaces the `k`-th node (pre-order, modulo their number) of `v`.
pub fn replace_node(v: &mut Value, k: usize, with: &Value) {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    fn walk(v: &mut Value, k: &mut usize, with: &Value) -> bool {
        if *k == 0 {
            *v = with.clone();
            return true;
        }
        *k -= 1;
        match v {
            Value::Array(a) => a.iter_mut().any(|c| walk(c, k, with)),
            Value::Object(o) => o.values_mut().any(|c| walk(c, k, with)),
            _ => false,
        }
    }
    let mut k = k % count(v);
    walk(v, &mut k, with);
}
