//! The OpenAPI 3.1 description of the HTTP API, served at
//! `/v1/openapi.json`: generated from the handlers' `#[utoipa::path]`
//! attributes and the wire types of [`cordon_api`] ([`crate::api::ApiDoc`]),
//! plus the console's redirects and files. Tests keep it in step with the
//! router, check that every JSON operation has a response schema, and call
//! every documented operation on a running node.

use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder};
use utoipa::openapi::{ContentBuilder, OpenApi, ResponseBuilder};
use utoipa::OpenApi as _;

/// The OpenAPI document.
pub fn document() -> OpenApi {
    let mut document = crate::api::ApiDoc::openapi();
    document.info.version = env!("CARGO_PKG_VERSION").to_string();
    for path in ["/", "/console"] {
        let redirect = ResponseBuilder::new().description("Redirect to /console/");
        let operation = static_get("Redirect to the web console", "303", redirect.build());
        document
            .paths
            .add_path_operation(path, vec![HttpMethod::Get], operation);
    }
    for asset in crate::console::ASSETS {
        let file = ResponseBuilder::new()
            .description("The file")
            .content(asset.content_type, ContentBuilder::new().build())
            .build();
        let operation = static_get(
            "A file of the web console (embedded in the binary)",
            "200",
            file,
        );
        document
            .paths
            .add_path_operation(asset.path, vec![HttpMethod::Get], operation);
    }
    document
}

fn static_get(summary: &str, status: &str, response: utoipa::openapi::Response) -> Operation {
    OperationBuilder::new()
        .summary(Some(summary))
        .tag("console")
        .response(status, response)
        .build()
}

/// Every documented (method, path) pair.
pub fn documented_operations() -> Vec<(String, String)> {
    let document = serde_json::to_value(document()).unwrap_or_default();
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    paths
        .into_iter()
        .flat_map(|(path, item)| {
            let methods: Vec<String> = item
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            methods
                .into_iter()
                .map(move |method| (method, path.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use utoipa::openapi::RefOr;

    #[test]
    fn every_route_is_documented_and_every_documented_path_is_routed() {
        // The OpenAPI paths and the router's table are the same set.
        let mut routed: BTreeSet<String> = crate::api::api_paths()
            .into_iter()
            .map(str::to_string)
            .collect();
        routed.extend(["/".to_string(), "/console".to_string()]);
        routed.extend(
            crate::console::ASSETS
                .iter()
                .map(|asset| asset.path.to_string()),
        );
        let documented: BTreeSet<String> = super::documented_operations()
            .into_iter()
            .map(|(_, path)| path)
            .collect();
        assert_eq!(routed, documented);
    }

    // Every operation that answers JSON declares the schema of its success
    // answer, every operation declares how it fails, and the request bodies
    // and query parameters the handlers take are declared.
    #[test]
    fn every_json_operation_has_a_response_schema() {
        let document = super::document();
        let mut json_operations = 0;
        for (path, item) in document.paths.paths.iter() {
            let operations = [("GET", &item.get), ("POST", &item.post)];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                for (status, response) in operation.responses.responses.iter() {
                    let RefOr::T(response) = response else {
                        panic!("{method} {path} {status}: responses are written inline");
                    };
                    if let Some(json) = response.content.get("application/json") {
                        json_operations += 1;
                        assert!(json.schema.is_some(), "{method} {path} {status}: no schema");
                    }
                }
            }
        }
        assert!(
            json_operations >= 30,
            "only {json_operations} JSON answers documented"
        );
        let text = serde_json::to_value(&document).unwrap();
        let report = &text["paths"]["/v1/incidents"]["post"];
        assert_eq!(report["requestBody"]["required"], true, "{report}");
        let list = &text["paths"]["/v1/incidents"]["get"]["parameters"];
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["status", "limit", "ids", "timeline"]);
        for schema in [
            "Incident",
            "TimelineEntry",
            "Unit",
            "Actor",
            "ClusterStatus",
            "ApiError",
        ] {
            assert!(
                text["components"]["schemas"][schema].is_object(),
                "schema {schema} missing"
            );
        }
    }
}
