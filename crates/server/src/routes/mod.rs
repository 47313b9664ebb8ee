//! Every route, registered through `utoipa_axum::routes!` so the router and the OpenAPI document come from the same list (one `routes!` per path).

mod collections;
mod documents;
pub(crate) mod embeddings;
mod health;
mod memories;
mod sessions;
mod tasks;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::openapi::{self, ApiDoc};
use crate::state::AppState;

/// The routes and their document. Nothing else registers a route: a `.route()` here would be missing from
/// `/openapi.json`, which the tests in `serve/tests.rs` check against what the server answers.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::liveness))
        .routes(routes!(health::status))
        .routes(routes!(health::postgres))
        .routes(routes!(openapi::document))
        .routes(routes!(collections::list, collections::create))
        .routes(routes!(collections::get, collections::drop))
        .routes(routes!(documents::upsert, documents::delete))
        .routes(routes!(documents::get))
        .routes(routes!(documents::get_many))
        .routes(routes!(documents::delete_all))
        .routes(routes!(documents::query))
        .routes(routes!(documents::count))
        .routes(routes!(memories::get_space, memories::put_space))
        .routes(routes!(memories::remember, memories::list))
        .routes(routes!(memories::recall))
        .routes(routes!(memories::get, memories::forget))
        .routes(routes!(memories::supersede))
        .routes(routes!(memories::dispute))
        .routes(routes!(memories::archive))
        .routes(routes!(memories::history))
        .routes(routes!(memories::as_of))
        .routes(routes!(sessions::create, sessions::list))
        .routes(routes!(sessions::get))
        .routes(routes!(sessions::set_status))
        .routes(routes!(sessions::summary))
        .routes(routes!(sessions::append, sessions::messages))
        .routes(routes!(sessions::search_messages))
        .routes(routes!(sessions::put_artifact, sessions::artifacts))
        .routes(routes!(sessions::get_artifact))
        .routes(routes!(sessions::search_artifacts))
        .routes(routes!(sessions::register_agent, sessions::agents))
        .routes(routes!(sessions::agent_heartbeat))
        .routes(routes!(tasks::enqueue, tasks::list))
        .routes(routes!(tasks::claim))
        .routes(routes!(tasks::stats))
        .routes(routes!(tasks::get))
        .routes(routes!(tasks::heartbeat))
        .routes(routes!(tasks::complete))
        .routes(routes!(tasks::fail))
        .routes(routes!(tasks::cancel))
        .routes(routes!(embeddings::create))
}
