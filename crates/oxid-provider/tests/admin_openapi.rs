//! The admin API's OpenAPI document (issue 13: "an OpenAPI 3.1 document at
//! /admin/v1/openapi.json generated from the code"): served without a token, it is OpenAPI
//! 3.1 whose every reference resolves, it lists exactly the operations the router serves (a
//! route added without its `#[utoipa::path]` fails here), and every operation documents its
//! answers, its errors as RFC 9457 problem details (`application/problem+json`).

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const ADMIN_TOKEN: &str = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";
const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

async fn admin() -> (TestServer, String) {
    let server = TestServer::start_with(|s| s.admin_token = Some(ADMIN_TOKEN.into())).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = oxid_provider::http::admin_router(server.provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (server, base)
}

fn document() -> Value {
    serde_json::from_str(oxid_provider::http::admin_openapi_json()).unwrap()
}

/// The OpenAPI document's operations, as (path, METHOD).
fn documented_operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert((path.clone(), method.to_uppercase()));
            }
        }
    }
    operations
}

/// What a local `$ref` (`#/components/...`) points to.
fn resolve<'a>(document: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("{reference}: only local references"));
    document
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{reference} does not resolve"))
}

/// Every `$ref` anywhere in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                found.push(r.clone());
            }
            map.values().for_each(|v| references(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_served_document_is_the_generated_one_and_needs_no_token() {
    let (_server, base) = admin().await;
    let response = reqwest::get(format!("{base}/admin/v1/openapi.json"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    assert_eq!(served, document());
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_problem_details_for_every_error() {
    let document = document();
    // OpenAPI 3.1.x (§4.8.1: `openapi` is the version of the specification).
    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "{version}");
    assert!(document["info"]["title"].is_string() && document["info"]["version"].is_string());
    let mut refs = Vec::new();
    references(&document, &mut refs);
    assert!(refs.len() > 20, "the document uses its components");
    for reference in &refs {
        resolve(&document, reference);
    }
    assert_eq!(document["security"], json!([{"bearer": []}]));
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer"})
    );

    let mut ids = BTreeSet::new();
    let mut links = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        assert!(path.starts_with("/admin/v1/"), "{path}");
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let at = format!("{method} {path}");
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{at}"));
            assert!(
                ids.insert(id.to_string()),
                "{at}: operationId {id} repeated"
            );
            check_path_parameters(path, operation, &at);
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{at}: a success answer"
            );
            if path.ends_with("/openapi.json") {
                assert_eq!(operation["security"], json!([]), "{at}: no token needed");
                continue;
            }
            for status in ["401", "403", "503"] {
                assert!(responses.contains_key(status), "{at}: {status} documented");
            }
            for (status, response) in responses {
                let response = match response.get("$ref") {
                    Some(r) => resolve(&document, r.as_str().unwrap()),
                    None => response,
                };
                check_response(&document, &at, status, response);
                links.extend(
                    response["links"]
                        .as_object()
                        .into_iter()
                        .flat_map(|l| l.values()),
                );
            }
            if ["post", "put", "patch"].contains(&method) && !path.contains("/keys") {
                let body = &operation["requestBody"]["content"]["application/json"]["schema"];
                assert!(body.is_object(), "{at}: a JSON request body");
            }
        }
    }
    check_links(&links, &ids);
}

/// Every Link Object names an operation of the document by `operationId` (OpenAPI 3.1
/// §4.8.20.1) and fills its parameters from the response body.
fn check_links(links: &[&Value], ids: &BTreeSet<String>) {
    assert!(
        links.len() >= 6,
        "the create operations link to what they made"
    );
    for link in links {
        let id = link["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{link}"));
        assert!(ids.contains(id), "{link}: no operation {id}");
        let parameters = link["parameters"].as_object().unwrap();
        for expression in parameters.values() {
            let text = expression.as_str().unwrap();
            assert!(text.starts_with("$response.body#/"), "{link}");
        }
    }
}

/// Each `{name}` of the path template is a required path parameter (OpenAPI 3.1 §4.8.12.1).
fn check_path_parameters(path: &str, operation: &Value, at: &str) {
    let empty = vec![];
    let parameters = operation["parameters"].as_array().unwrap_or(&empty);
    for name in path.split('{').skip(1).filter_map(|p| p.split('}').next()) {
        let found = parameters
            .iter()
            .find(|p| p["name"] == name && p["in"] == "path")
            .unwrap_or_else(|| panic!("{at}: path parameter {name}"));
        assert_eq!(found["required"], true, "{at}: {name}");
    }
}

/// Errors are `application/problem+json` with the `Problem` schema (RFC 9457 §3); answers
/// with a body are `application/json`.
fn check_response(document: &Value, at: &str, status: &str, response: &Value) {
    assert!(response["description"].is_string(), "{at} {status}");
    let content = &response["content"];
    if status.starts_with('4') || status.starts_with('5') {
        let schema = &content["application/problem+json"]["schema"];
        let problem = resolve(document, schema["$ref"].as_str().unwrap_or("#/missing"));
        let required = problem["required"].as_array().unwrap();
        for member in ["type", "title", "status", "detail"] {
            assert!(required.contains(&json!(member)), "{at} {status}: {member}");
        }
    } else if status != "204" {
        assert!(
            content["application/json"]["schema"].is_object(),
            "{at} {status}: a JSON answer"
        );
    }
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_served() {
    let served: BTreeSet<(String, String)> = oxid_provider::http::admin_api_routes()
        .into_iter()
        .map(|(path, method)| (path.to_string(), method.to_string()))
        .collect();
    assert_eq!(documented_operations(&document()), served);
    // And the router serves each: no 404 or 405 for a documented operation.
    let (_server, base) = admin().await;
    for (path, method) in served {
        let path = path
            .replace("{client_id}", "app-x")
            .replace("{sub}", "s")
            .replace("{kid}", "k")
            .replace("{id}", "i");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = reqwest::Client::new()
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        if status == 404 {
            // A miss of the resource, not of the route: a problem document.
            let content_type = response.headers()["content-type"].to_str().unwrap();
            assert_eq!(content_type, "application/problem+json", "{method} {path}");
        }
        assert_ne!(status, 405, "{method} {path}");
    }
}
