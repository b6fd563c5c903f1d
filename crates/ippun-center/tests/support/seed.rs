//! Seeding a center for tests and benchmarks: a service, one imported
//! token per key for users `u0`, `u1`, … in order, and the bank's API key.
#![allow(dead_code, clippy::unwrap_used)]

use ippun_center::Center;
use ippun_center::admin::{self, ServiceSpec};
use ippun_center::data::Actor;

/// Adds service `id` (named `name`) to `center` with one imported token
/// per key, for users `u0`, `u1`, …, and an API key of the service; the
/// key.
pub async fn service_with_tokens<K: AsRef<[u8]>>(
    center: &Center,
    id: &str,
    name: &str,
    keys: &[K],
) -> String {
    let actor = Actor::Tool("seed");
    admin::add_service(center, &ServiceSpec::usual(id, name), actor)
        .await
        .unwrap();
    let users: Vec<String> = (0..keys.len()).map(|i| format!("u{i}")).collect();
    let batch: Vec<(&str, &[u8])> = users
        .iter()
        .zip(keys)
        .map(|(u, k)| (u.as_str(), k.as_ref()))
        .collect();
    for chunk in batch.chunks(5000) {
        admin::import_tokens(center, id, chunk, actor)
            .await
            .unwrap();
    }
    admin::create_api_key(center, id, "seed", actor)
        .await
        .unwrap()
        .to_string()
}
