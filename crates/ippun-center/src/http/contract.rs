//! The machine-readable contract, generated from the message types: a JSON
//! Schema (2020-12) per message in `docs/schema/` and an `OpenAPI` 3.1
//! document of every endpoint in `docs/openapi.json`.
//!
//! `cargo run -p ippun-center --example contracts` writes both; a unit test
//! fails when the committed files differ from what this module generates.
//!
//! A request's schema says what the center accepts (serde's deserializing
//! side: unknown fields refused, optional fields optional); a reply's says
//! what the center sends (the serializing side: every field present).

use schemars::generate::{Contract, SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use ippun_core::protocol::{self, paths};
use ippun_core::txconfirm;

use super::bank::{VerifyAnswer, VerifyRequest};
use crate::services::tx::{NewTransaction, StartFor, StartStatus, TxStatus};

/// Who calls an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The app (unauthenticated transport; messages signed where it
    /// matters).
    App,
    /// The bank's systems, with the service's API key.
    Bank,
}

/// A message's name and its schema generator, for one direction.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    /// The schema's name (the Rust type's, as in `docs/protocol.md`).
    pub name: &'static str,
    /// Request (what the center accepts) or reply (what it sends).
    pub direction: Direction,
    schema: fn(&mut SchemaGenerator) -> Schema,
}

/// Which side of a message a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent to the center: what it accepts.
    Request,
    /// Sent by the center: what it sends.
    Reply,
}

const fn request<T: JsonSchema>(name: &'static str) -> Message {
    Message {
        name,
        direction: Direction::Request,
        schema: SchemaGenerator::subschema_for::<T>,
    }
}

const fn reply<T: JsonSchema>(name: &'static str) -> Message {
    Message {
        name,
        direction: Direction::Reply,
        schema: SchemaGenerator::subschema_for::<T>,
    }
}

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Path, with `{id}` for a path parameter.
    pub path: &'static str,
    /// Who calls it.
    pub caller: Caller,
    /// One line for people.
    pub summary: &'static str,
    /// The request body, if any.
    pub request: Option<Message>,
    /// The 200 reply.
    pub reply: Message,
    /// The other statuses it answers with a JSON body, beside 200.
    pub errors: &'static [u16],
}

/// Every message with a schema, each once.
pub fn messages() -> Vec<Message> {
    let mut v: Vec<Message> = Vec::new();
    for e in endpoints() {
        for m in e.request.into_iter().chain([e.reply]) {
            if !v.iter().any(|x| x.name == m.name) {
                v.push(m);
            }
        }
    }
    v.extend(error_bodies());
    v
}

/// The bodies of the answers other than 200, which every endpoint shares.
const fn error_bodies() -> [Message; 2] {
    [
        reply::<protocol::Refusal>("Refusal"),
        reply::<protocol::BadRequest>("ErrorBody"),
    ]
}

const APP_SIGNED: &[u16] = &[400, 401, 403, 404, 408, 409, 413, 415, 429, 500, 503];
const BANK: &[u16] = &[400, 401, 403, 404, 408, 409, 413, 415, 429, 500, 503];

/// Every endpoint of protocol version 1.
#[allow(clippy::too_many_lines)] // a table
pub fn endpoints() -> Vec<Endpoint> {
    use Caller::{App, Bank};
    vec![
        Endpoint {
            method: "GET",
            path: paths::HEALTH,
            caller: App,
            summary: "Version, center time and the center's public key",
            request: None,
            reply: reply::<protocol::Health>("Health"),
            errors: &[429, 500],
        },
        Endpoint {
            method: "POST",
            path: paths::PROVISION_START,
            caller: App,
            summary: "Provisioning, first leg: the app's keys and the activation password; the center's signed offer",
            request: Some(request::<protocol::ProvisionStart>("ProvisionStart")),
            reply: reply::<protocol::ProvisionOffer>("ProvisionOffer"),
            errors: &[400, 403, 408, 413, 415, 429, 500, 503],
        },
        Endpoint {
            method: "POST",
            path: paths::PROVISION_CONFIRM,
            caller: App,
            summary: "Provisioning, key confirmation: activates the token (repeatable)",
            request: Some(request::<protocol::Confirm>("Confirm")),
            reply: reply::<protocol::Confirmed>("Confirmed"),
            errors: &[400, 401, 403, 404, 408, 413, 415, 429, 500, 503],
        },
        Endpoint {
            method: "POST",
            path: paths::CHALLENGE,
            caller: App,
            summary: "A single-use center nonce for one signed request of one purpose",
            request: Some(request::<protocol::ChallengeRequest>("ChallengeRequest")),
            reply: reply::<protocol::Challenge>("Challenge"),
            errors: &[400, 408, 413, 415, 429, 500, 503],
        },
        Endpoint {
            method: "POST",
            path: paths::RENEW_START,
            caller: App,
            summary: "Renewal, first leg (device-signed); the center's signed offer of a new key",
            request: Some(request::<protocol::RenewStart>("RenewStart")),
            reply: reply::<protocol::RenewOffer>("RenewOffer"),
            errors: APP_SIGNED,
        },
        Endpoint {
            method: "POST",
            path: paths::RENEW_CONFIRM,
            caller: App,
            summary: "Renewal, key confirmation: applies the new key and expiry (repeatable)",
            request: Some(request::<protocol::Confirm>("Confirm")),
            reply: reply::<protocol::Confirmed>("Confirmed"),
            errors: &[400, 401, 403, 404, 408, 413, 415, 429, 500, 503],
        },
        Endpoint {
            method: "POST",
            path: paths::CORRECT,
            caller: App,
            summary: "Correction (device-signed): the center learns the device's drift and signs it",
            request: Some(request::<protocol::CorrectRequest>("CorrectRequest")),
            reply: reply::<protocol::Corrected>("Corrected"),
            errors: APP_SIGNED,
        },
        Endpoint {
            method: "POST",
            path: paths::TX_LIST,
            caller: App,
            summary: "Transaction confirmation: what waits for this token (device-signed; signed list)",
            request: Some(request::<txconfirm::ListRequest>("ListRequest")),
            reply: reply::<txconfirm::List>("List"),
            errors: APP_SIGNED,
        },
        Endpoint {
            method: "POST",
            path: paths::TX_ENABLE,
            caller: App,
            summary: "Transaction confirmation: completes a start with its confirmation code",
            request: Some(request::<txconfirm::StartRequest>("StartRequest")),
            reply: reply::<txconfirm::Started>("Started"),
            errors: APP_SIGNED,
        },
        Endpoint {
            method: "POST",
            path: paths::TX_ANSWER,
            caller: App,
            summary: "Transaction confirmation: approves or rejects a transaction (signed receipt)",
            request: Some(request::<txconfirm::AnswerRequest>("AnswerRequest")),
            reply: reply::<txconfirm::Answered>("Answered"),
            errors: APP_SIGNED,
        },
        Endpoint {
            method: "POST",
            path: paths::VERIFY,
            caller: Bank,
            summary: "Is this code right for this user now? Accepts each step once",
            request: Some(request::<VerifyRequest>("VerifyRequest")),
            reply: reply::<VerifyAnswer>("VerifyAnswer"),
            errors: BANK,
        },
        Endpoint {
            method: "POST",
            path: paths::TX_STARTS,
            caller: Bank,
            summary: "Starts transaction confirmation for a user (completed in the app)",
            request: Some(request::<StartFor>("StartFor")),
            reply: reply::<StartStatus>("StartStatus"),
            errors: BANK,
        },
        Endpoint {
            method: "POST",
            path: paths::TX_TRANSACTIONS,
            caller: Bank,
            summary: "Posts a transaction for the user to approve or reject in the app",
            request: Some(request::<NewTransaction>("NewTransaction")),
            reply: reply::<TxStatus>("TxStatus"),
            errors: BANK,
        },
        Endpoint {
            method: "GET",
            path: paths::TX_TRANSACTION,
            caller: Bank,
            summary: "A transaction and its outcome",
            request: None,
            reply: reply::<TxStatus>("TxStatus"),
            errors: &[401, 404, 408, 429, 500, 503],
        },
        Endpoint {
            method: "POST",
            path: paths::TX_WITHDRAW,
            caller: Bank,
            summary: "Withdraws a transaction that still waits",
            request: None,
            reply: reply::<TxStatus>("TxStatus"),
            errors: &[401, 404, 408, 409, 429, 500, 503],
        },
    ]
}

fn settings(direction: Direction, definitions_path: &'static str) -> SchemaSettings {
    SchemaSettings::draft2020_12().with(|s| {
        s.contract = match direction {
            Direction::Request => Contract::Deserialize,
            Direction::Reply => Contract::Serialize,
        };
        s.definitions_path = definitions_path.into();
    })
}

/// Why the generated contract is not consistent.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// One name, two different schemas (a type whose request and reply
    /// forms differ, or two types given one name).
    #[error("schema {0} differs between its uses")]
    Conflict(String),
}

/// Adds `defs` to `into`, refusing a name with two different schemas.
fn merge(into: &mut Map<String, Value>, defs: Map<String, Value>) -> Result<(), ContractError> {
    for (k, v) in defs {
        match into.get(&k) {
            Some(old) if *old != v => return Err(ContractError::Conflict(k)),
            Some(_) => {}
            None => {
                into.insert(k, v);
            }
        }
    }
    Ok(())
}

/// One message's self-contained schema (its parts under `$defs`).
pub fn message_schema(m: &Message) -> Value {
    let mut g = settings(m.direction, "/$defs").into_generator();
    let top = (m.schema)(&mut g);
    let defs = g.take_definitions(true);
    // The top-level reference, resolved: the file is the message itself.
    let mut root = match top.as_object().and_then(|o| o.get("$ref")) {
        Some(Value::String(r)) => r
            .strip_prefix("#/$defs/")
            .and_then(|n| defs.get(n))
            .cloned()
            .unwrap_or_else(|| top.to_value()),
        _ => top.to_value(),
    };
    let mut rest = defs;
    rest.remove(m.name);
    if let Value::Object(o) = &mut root {
        let mut head = Map::new();
        head.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        head.insert(
            "$id".into(),
            json!(format!("https://ippun.example/schema/v1/{}.json", m.name)),
        );
        head.insert("title".into(), json!(m.name));
        for (k, v) in std::mem::take(o) {
            head.insert(k, v);
        }
        if !rest.is_empty() {
            head.insert("$defs".into(), Value::Object(rest));
        }
        *o = head;
    }
    root
}

fn error_response(status: u16) -> Value {
    let what = match status {
        400 => "Malformed JSON, wrong fields or types, or an unsupported version",
        401 => "A signature or key confirmation does not verify; no or a bad API key",
        403 => "Refused: a catalogue code (`Refusal`), or an API key of another service",
        404 => "Unknown session, user, transaction or path",
        408 => "The request took longer than the center's time limit",
        409 => {
            "Nonce unknown, used, expired or of another purpose; a state that does not allow the bank's request"
        }
        413 => "Body over 16 KiB",
        415 => "Not `application/json`",
        429 => "Too many requests from this client or in all (`Retry-After`)",
        500 => "The center failed (no detail)",
        503 => {
            "The database is out of reach or password checks are at their limit (`Retry-After`); nothing was written"
        }
        _ => "Error",
    };
    let schema = if status == 403 {
        json!({"oneOf": [
            {"$ref": "#/components/schemas/Refusal"},
            {"$ref": "#/components/schemas/ErrorBody"},
        ]})
    } else {
        json!({"$ref": "#/components/schemas/ErrorBody"})
    };
    let mut r = json!({
        "description": what,
        "content": {"application/json": {"schema": schema}},
    });
    if matches!(status, 429 | 503) {
        r["headers"] = json!({"Retry-After": {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 1},
        }});
    }
    r
}

/// The `OpenAPI` 3.1 document of every endpoint.
pub fn openapi() -> Result<Value, ContractError> {
    let mut components = Map::new();
    let mut paths_obj = Map::new();
    let mut refer = |m: &Message| -> Result<Value, ContractError> {
        let mut g = settings(m.direction, "/components/schemas").into_generator();
        let r = (m.schema)(&mut g);
        merge(&mut components, g.take_definitions(true))?;
        Ok(r.to_value())
    };
    for e in endpoints() {
        let mut responses = Map::new();
        responses.insert(
            "200".into(),
            json!({
                "description": "The reply",
                "content": {"application/json": {"schema": refer(&e.reply)?}},
            }),
        );
        for s in e.errors {
            responses.insert(s.to_string(), error_response(*s));
        }
        let mut op = json!({
            "operationId": operation_id(e.method, e.path),
            "summary": e.summary,
            "tags": [match e.caller { Caller::App => "app", Caller::Bank => "bank" }],
            "responses": responses,
        });
        if let Some(m) = &e.request {
            op["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": refer(m)?}},
            });
        }
        if e.caller == Caller::Bank {
            op["security"] = json!([{"apiKey": []}]);
        }
        if e.path.contains("{id}") {
            op["parameters"] = json!([{
                "name": "id", "in": "path", "required": true,
                "description": "The transaction's ID",
                "schema": {"type": "string", "pattern": "^tx_[0-9a-f]{24}$"},
            }]);
        }
        let item = paths_obj
            .entry(e.path.to_owned())
            .or_insert_with(|| json!({}));
        item[e.method.to_ascii_lowercase()] = op;
    }
    for m in error_bodies() {
        refer(&m)?;
    }
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ippun center",
            "version": "1",
            "description": "The app ↔ center protocol and the bank's APIs, version 1. The specification, with the transcripts every signature covers, is docs/protocol.md.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "tags": [
            {"name": "app", "description": "Called by the token app"},
            {"name": "bank", "description": "Called by the bank's systems with the service's API key"},
        ],
        "paths": paths_obj,
        "components": {
            "schemas": components,
            "securitySchemes": {"apiKey": {
                "type": "http", "scheme": "bearer",
                "description": "The service's API key, `ipk_…`",
            }},
        },
    }))
}

fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for part in path.trim_start_matches(protocol::PATH_PREFIX).split('/') {
        let part = part.trim_matches(|c| c == '{' || c == '}');
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    id
}

/// The files the contract consists of, as `(path under docs/, text)`.
pub fn files() -> Result<Vec<(String, String)>, ContractError> {
    let mut v = Vec::new();
    for m in messages() {
        v.push((
            format!("schema/{}.json", m.name),
            pretty(&message_schema(&m)),
        ));
    }
    v.push(("openapi.json".into(), pretty(&openapi()?)));
    Ok(v)
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn docs() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs")
    }

    #[test]
    fn the_committed_contract_is_what_the_code_generates() {
        let files = files().expect("the contract is consistent");
        let mut stale = Vec::new();
        for (path, text) in &files {
            let committed = std::fs::read_to_string(docs().join(path)).unwrap_or_default();
            if committed != *text {
                stale.push(path.clone());
            }
        }
        let dir: Vec<String> = std::fs::read_dir(docs().join("schema"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| format!("schema/{}", e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        for f in dir {
            if !files.iter().any(|(p, _)| *p == f) {
                stale.push(format!("{f} (no longer generated)"));
            }
        }
        assert!(
            stale.is_empty(),
            "docs/ differs from the generated contract in {stale:?}: \
             run `cargo run -p ippun-center --example contracts` and commit the result"
        );
    }

    #[test]
    fn every_route_is_in_the_contract() {
        let listed: Vec<&str> = endpoints().iter().map(|e| e.path).collect();
        for p in [
            paths::HEALTH,
            paths::PROVISION_START,
            paths::PROVISION_CONFIRM,
            paths::CHALLENGE,
            paths::RENEW_START,
            paths::RENEW_CONFIRM,
            paths::CORRECT,
            paths::TX_LIST,
            paths::TX_ENABLE,
            paths::TX_ANSWER,
            paths::VERIFY,
            paths::TX_STARTS,
            paths::TX_TRANSACTIONS,
            paths::TX_TRANSACTION,
            paths::TX_WITHDRAW,
        ] {
            assert!(listed.contains(&p), "{p}");
        }
    }

    /// The specification names every message and every field: each schema
    /// with properties (the messages and their parts) has a `#### Name`
    /// section in `docs/protocol.md` that mentions each of its fields.
    #[test]
    fn the_specification_describes_every_message_and_field() {
        let spec = std::fs::read_to_string(docs().join("protocol.md")).unwrap();
        let api = openapi().unwrap();
        let schemas = api["components"]["schemas"].as_object().unwrap();
        let mut missing = Vec::new();
        for (name, schema) in schemas {
            let Some(props) = schema["properties"].as_object() else {
                continue;
            };
            let heading = format!("\n#### {name}\n");
            let Some(at) = spec.find(&heading) else {
                missing.push(format!("section {name}"));
                continue;
            };
            let body = &spec[at + heading.len()..];
            let section = &body[..body.find("\n#").unwrap_or(body.len())];
            for field in props.keys() {
                if !section.contains(&format!("`{field}`")) {
                    missing.push(format!("{name}.{field}"));
                }
            }
        }
        assert!(missing.is_empty(), "docs/protocol.md lacks {missing:?}");
    }

    #[test]
    fn requests_refuse_unknown_fields_and_need_the_version() {
        for m in messages() {
            let s = message_schema(&m);
            if m.direction == Direction::Request {
                assert_eq!(s["additionalProperties"], json!(false), "{}", m.name);
            }
            let needs_version = s["properties"].get("version").is_some();
            if needs_version {
                let required = s["required"].as_array().cloned().unwrap_or_default();
                assert!(required.contains(&json!("version")), "{}", m.name);
            }
        }
    }
}
