//! The sandbox's HTTP server: Slack's Web API under `/api/` and SCIM v2
//! under `/scim/v2/`, answering as Slack does (HTTP 200 with `ok: false`
//! for errors, 429 with `Retry-After`, `X-OAuth-Scopes` on every answer,
//! opaque base64 cursors), plus a control API under `/_sandbox/` for tests:
//! call counts and injected faults.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::SandboxError;
use super::data::{OrgData, TokenKind, TokenSpec, TokenState};
use super::grid;
use super::limits::TierLimits;
use super::protocol::ApiError;
use super::web_api;
use crate::domain::model::Plan;

/// The SCIM call's name in counts and faults.
pub const SCIM_USERS: &str = "scim:GET Users";

/// A fault to inject into the next matching calls.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    /// A Web API method name, `scim:GET Users`, or `*` for any call.
    pub method: String,
    pub kind: FaultKind,
    /// Let this many matching calls through first.
    #[serde(default)]
    pub after: u32,
    /// How many calls to fault; 0 means every one from then on.
    #[serde(default = "one")]
    pub times: u32,
    /// `ratelimited`: the Retry-After seconds.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// `http`: the status code.
    #[serde(default)]
    pub status: Option<u16>,
    /// `error`: the Slack error code; `needed` goes with `missing_scope`.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub needed: Option<String>,
    /// `delay`: how long to stall before answering normally.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    #[serde(default, skip_deserializing)]
    seen: u32,
    #[serde(default, skip_deserializing)]
    fired: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// HTTP 429 with `Retry-After`.
    Ratelimited,
    /// An HTTP error status (default 500) with an HTML body, as a proxy sends.
    Http,
    /// HTTP 200 with `{"ok": false, "error": ...}`.
    Error,
    /// The connection breaks in the middle of the answer.
    Drop,
    /// Stall, then answer normally.
    Delay,
}

/// The sandbox's state: Slack's side of the world, which writes change.
struct Shared {
    org: Mutex<OrgData>,
    faults: Mutex<Vec<Fault>>,
    calls: Mutex<BTreeMap<String, u64>>,
    /// Per Web API method: requests being answered now, and the most ever
    /// at once, so that tests can check a client's concurrency limits.
    in_flight: Mutex<BTreeMap<String, InFlight>>,
    /// Slack's tier limits, when the sandbox enforces them.
    limits: Mutex<Option<TierLimits>>,
    /// Per Web API method: calls answered 429 by those limits.
    rate_limited: Mutex<BTreeMap<String, u64>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct InFlight {
    now: u64,
    peak: u64,
}

/// Counts one request in flight until it is answered or dropped.
struct InFlightGuard<'a> {
    shared: &'a Shared,
    method: String,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        if let Some(f) = self.shared.in_flight.lock().unwrap().get_mut(&self.method) {
            f.now -= 1;
        }
    }
}

impl Shared {
    fn enter(&self, method: &str) -> InFlightGuard<'_> {
        let mut all = self.in_flight.lock().unwrap();
        let f = all.entry(method.to_owned()).or_default();
        f.now += 1;
        f.peak = f.peak.max(f.now);
        InFlightGuard {
            shared: self,
            method: method.to_owned(),
        }
    }

    fn count(&self, method: &str) {
        *self
            .calls
            .lock()
            .unwrap()
            .entry(method.to_owned())
            .or_default() += 1;
    }

    /// Whether this call is over its method's limit: the seconds to wait.
    fn over_limit(&self, method: &str) -> Option<u64> {
        let wait = self
            .limits
            .lock()
            .unwrap()
            .as_mut()?
            .take(method, std::time::Instant::now())
            .err()?;
        *self
            .rate_limited
            .lock()
            .unwrap()
            .entry(method.to_owned())
            .or_default() += 1;
        Some(wait)
    }

    /// The fault this call must suffer, if any.
    fn take_fault(&self, method: &str) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap();
        for f in faults.iter_mut() {
            if f.method != method && f.method != "*" {
                continue;
            }
            if f.times != 0 && f.fired >= f.times {
                continue;
            }
            if f.seen < f.after {
                f.seen += 1;
                continue;
            }
            f.fired += 1;
            return Some(f.clone());
        }
        None
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Sandbox {
    /// Bind `listen` and serve `org` in the background of the current runtime.
    pub async fn start(org: OrgData, listen: SocketAddr) -> Result<Sandbox, SandboxError> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: listen,
            source,
        })?;
        let shared = Arc::new(Shared {
            org: Mutex::new(org),
            faults: Mutex::default(),
            calls: Mutex::default(),
            in_flight: Mutex::default(),
            limits: Mutex::default(),
            rate_limited: Mutex::default(),
        });
        let app = Router::new()
            .route("/api/{method}", any(web_api))
            .route("/scim/v2/Users", get(scim_users))
            .route(
                "/scim/v2/Users/{id}",
                get(scim_user_get)
                    .patch(scim_user_patch)
                    .delete(scim_user_delete),
            )
            .route("/_sandbox/calls", get(control_calls))
            .route("/_sandbox/peak_in_flight", get(control_peak_in_flight))
            .route("/_sandbox/rate_limited", get(control_rate_limited))
            .route(
                "/_sandbox/faults",
                axum::routing::post(control_add_fault).delete(control_clear_faults),
            )
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        Ok(Sandbox { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn api_url(&self) -> String {
        format!("http://{}/api/", self.addr)
    }

    pub fn scim_url(&self) -> String {
        format!("http://{}/scim/v2/", self.addr)
    }

    /// The token the sandbox advertises: the first of its data.
    pub fn token(&self) -> String {
        self.shared.org.lock().unwrap().tokens[0].token.clone()
    }

    /// Enforce Slack's per-method tier limits from now on, over a minute
    /// lasting `minute`.
    pub fn enforce_rate_limits(&self, minute: Duration) {
        *self.shared.limits.lock().unwrap() = Some(TierLimits::new(minute));
    }

    /// Replace the org, as if time had passed in Slack.
    pub fn replace_org(&self, org: OrgData) {
        *self.shared.org.lock().unwrap() = org;
    }
}

/// A method's behaviour: the org, the caller's token and the arguments in;
/// the answer (without `ok`) or a Slack error out.
type Handler = fn(&mut OrgData, &TokenSpec, &HashMap<String, String>) -> Result<Value, ApiError>;

/// What a Web API method needs and does.
struct MethodSpec {
    scope: Option<&'static str>,
    /// Enterprise Grid's admin API: `feature_not_enabled` elsewhere.
    grid_only: bool,
    handler: Handler,
}

fn method_spec(method: &str) -> Option<MethodSpec> {
    let spec = |scope, handler| MethodSpec {
        scope,
        grid_only: false,
        handler,
    };
    let admin = |scope, handler| MethodSpec {
        scope: Some(scope),
        grid_only: true,
        handler,
    };
    Some(match method {
        "auth.test" => spec(None, web_api::auth_test),
        "team.info" => spec(Some("team:read"), web_api::team_info),
        "users.list" => spec(Some("users:read"), web_api::users_list),
        "users.info" => spec(Some("users:read"), web_api::users_info),
        "usergroups.list" => spec(Some("usergroups:read"), web_api::usergroups_list),
        "usergroups.users.list" => spec(Some("usergroups:read"), web_api::usergroups_users_list),
        "team.accessLogs" => spec(Some("admin"), web_api::team_access_logs),
        "usergroups.users.update" => {
            spec(Some("usergroups:write"), web_api::usergroups_users_update)
        }
        "auth.teams.list" => spec(None, grid::auth_teams_list),
        "admin.teams.list" => admin("admin.teams:read", grid::admin_teams_list),
        "admin.users.list" => admin("admin.users:read", grid::admin_users_list),
        "admin.users.remove" => admin("admin.users:write", grid::admin_users_remove),
        "admin.users.setRegular" => admin("admin.users:write", grid::admin_users_set_regular),
        "admin.users.setAdmin" => admin("admin.users:write", grid::admin_users_set_admin),
        "admin.roles.removeAssignments" => {
            admin("admin.roles:write", grid::admin_roles_remove_assignments)
        }
        "admin.roles.listAssignments" => {
            admin("admin.roles:read", grid::admin_roles_list_assignments)
        }
        _ => return None,
    })
}

fn slack_json(status: StatusCode, body: Value, token: Option<&TokenSpec>) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    if let Some(t) = token
        && let Ok(v) = HeaderValue::from_str(&t.scopes.join(","))
    {
        resp.headers_mut().insert("x-oauth-scopes", v);
    }
    resp
}

fn slack_error(code: &str, needed: Option<String>, token: Option<&TokenSpec>) -> Response {
    let mut body = json!({"ok": false, "error": code});
    if let Some(needed) = needed {
        body["needed"] = json!(needed);
        body["provided"] = json!(token.map(|t| t.scopes.join(",")).unwrap_or_default());
    }
    slack_json(StatusCode::OK, body, token)
}

/// Slack's answer to a call over its method's limit.
fn too_many_requests(retry_after: u64) -> Response {
    let mut resp = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({"ok": false, "error": "ratelimited"})),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    resp
}

/// Answer an injected fault; `None` lets the call through (after a delay).
async fn fault_response(fault: Fault) -> Option<Response> {
    match fault.kind {
        FaultKind::Ratelimited => Some(too_many_requests(fault.retry_after.unwrap_or(1))),
        FaultKind::Http => {
            let status = StatusCode::from_u16(fault.status.unwrap_or(500))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some((status, "<html><body>Internal Server Error</body></html>").into_response())
        }
        FaultKind::Error => {
            let code = fault.error.unwrap_or_else(|| "fatal_error".into());
            let mut body = json!({"ok": false, "error": code});
            if let Some(n) = fault.needed {
                body["needed"] = json!(n);
            }
            Some((StatusCode::OK, axum::Json(body)).into_response())
        }
        FaultKind::Drop => {
            let stream = futures_util::stream::iter([
                Ok(Bytes::from_static(b"{\"ok\":true,\"mem")),
                Err(std::io::Error::other("connection dropped by sandbox fault")),
            ]);
            Some(
                Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::CONTENT_LENGTH, "4096")
                    .body(Body::from_stream(stream))
                    .expect("a valid response"),
            )
        }
        FaultKind::Delay => {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms.unwrap_or(1000))).await;
            None
        }
    }
}

fn params_of(query: Option<String>, headers: &HeaderMap, body: &Bytes) -> HashMap<String, String> {
    let mut params: HashMap<String, String> = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
        .into_iter()
        .collect();
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form && let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
        params.extend(form);
    }
    params
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Find the token and check that it may be used at all.
fn authenticate(org: &OrgData, token: Option<String>) -> Result<TokenSpec, &'static str> {
    let token = token.ok_or("not_authed")?;
    let spec = org
        .tokens
        .iter()
        .find(|t| t.token == token)
        .ok_or("invalid_auth")?;
    match spec.state {
        TokenState::Active => Ok(spec.clone()),
        TokenState::Revoked => Err("token_revoked"),
        TokenState::Inactive => Err("account_inactive"),
    }
}

async fn web_api(
    State(shared): State<Arc<Shared>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.count(&method);
    let _in_flight = shared.enter(&method);
    if let Some(fault) = shared.take_fault(&method)
        && let Some(resp) = fault_response(fault).await
    {
        return resp;
    }
    if let Some(wait) = shared.over_limit(&method) {
        return too_many_requests(wait);
    }
    let mut org = shared.org.lock().unwrap();
    let params = params_of(query, &headers, &body);
    let token = bearer(&headers).or_else(|| params.get("token").cloned());
    let token = match authenticate(&org, token) {
        Ok(t) => t,
        Err(code) => return slack_error(code, None, None),
    };
    let Some(spec) = method_spec(&method) else {
        return slack_error("unknown_method", None, Some(&token));
    };
    if spec.grid_only && org.plan != Plan::Grid {
        return slack_error("feature_not_enabled", None, Some(&token));
    }
    if spec.grid_only && token.kind != TokenKind::User {
        return slack_error("not_allowed_token_type", None, Some(&token));
    }
    if let Some(scope) = spec.scope
        && !token.scopes.iter().any(|s| s == scope)
    {
        return slack_error("missing_scope", Some(scope.to_owned()), Some(&token));
    }
    match (spec.handler)(&mut org, &token, &params) {
        Ok(mut body) => {
            body["ok"] = json!(true);
            slack_json(StatusCode::OK, body, Some(&token))
        }
        Err(e) => slack_error(e.code, e.needed, Some(&token)),
    }
}

fn scim_error(status: StatusCode, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"Errors": {"description": description, "code": status.as_u16()}})),
    )
        .into_response()
}

fn scim_resource(user: &Value) -> Value {
    let p = &user["profile"];
    let mut emails = Vec::new();
    if let Some(e) = p["email"].as_str().filter(|e| !e.is_empty()) {
        emails.push(json!({"value": e, "primary": true}));
    }
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": user["id"], "userName": user["name"],
        "displayName": p["display_name"], "title": p["title"],
        "name": {"givenName": p["first_name"], "familyName": p["last_name"]},
        "active": !user["deleted"].as_bool().unwrap_or(false),
        "emails": emails,
    })
}

async fn scim_users(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    shared.count(SCIM_USERS);
    if let Some(fault) = shared.take_fault(SCIM_USERS)
        && let Some(resp) = fault_response(fault).await
    {
        return resp;
    }
    let org = shared.org.lock().unwrap();
    if let Err(failure) = scim_auth(&org, &headers) {
        return failure.into_response();
    }
    let params: HashMap<String, String> = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let start = params
        .get("startIndex")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let count = params
        .get("count")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(100)
        .min(1000);
    let people: Vec<usize> = org
        .facts()
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.bot && f.id != "USLACKBOT")
        .map(|(at, _)| at)
        .collect();
    let page: Vec<Value> = people
        .iter()
        .skip(start - 1)
        .take(count)
        .map(|&at| scim_resource(&org.users.get(at)))
        .collect();
    axum::Json(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": people.len(), "itemsPerPage": page.len(), "startIndex": start,
        "Resources": page,
    }))
    .into_response()
}

/// A SCIM error answer, in Slack's `{"Errors": {...}}` form.
struct ScimFailure(StatusCode, &'static str);

impl IntoResponse for ScimFailure {
    fn into_response(self) -> Response {
        scim_error(self.0, self.1)
    }
}

/// Authenticate a SCIM call: a user token with `admin`, on a plan with SCIM.
fn scim_auth(org: &OrgData, headers: &HeaderMap) -> Result<TokenSpec, ScimFailure> {
    let token = authenticate(org, bearer(headers))
        .map_err(|_| ScimFailure(StatusCode::UNAUTHORIZED, "invalid_authentication"))?;
    if org.plan == Plan::Pro {
        return Err(ScimFailure(
            StatusCode::FORBIDDEN,
            "feature_not_enabled: SCIM is available on Business+ and Enterprise Grid plans",
        ));
    }
    if token.kind != TokenKind::User || !token.scopes.iter().any(|s| s == "admin") {
        return Err(ScimFailure(
            StatusCode::FORBIDDEN,
            "insufficient_scope: SCIM needs a user token with the admin scope",
        ));
    }
    Ok(token)
}

/// Count the call, suffer its fault, authenticate: what every SCIM
/// single-user call does first. `Some` is the answer to give at once.
async fn scim_prelude(shared: &Shared, name: &str, headers: &HeaderMap) -> Option<Response> {
    shared.count(name);
    if let Some(fault) = shared.take_fault(name)
        && let Some(resp) = fault_response(fault).await
    {
        return Some(resp);
    }
    scim_auth(&shared.org.lock().unwrap(), headers)
        .err()
        .map(IntoResponse::into_response)
}

fn user_index(org: &OrgData, id: &str) -> Result<usize, ScimFailure> {
    org.position(id)
        .ok_or(ScimFailure(StatusCode::NOT_FOUND, "user_not_found"))
}

async fn scim_user_get(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = scim_prelude(&shared, "scim:GET Users/{id}", &headers).await {
        return resp;
    }
    let org = shared.org.lock().unwrap();
    match user_index(&org, &id) {
        Ok(i) => axum::Json(scim_resource(&org.users.get(i))).into_response(),
        Err(failure) => failure.into_response(),
    }
}

/// Deactivate, as SCIM does: the account shows as `deleted` in the Web API.
fn scim_deactivate(shared: &Shared, id: &str) -> Result<Value, ScimFailure> {
    let mut org = shared.org.lock().unwrap();
    let i = user_index(&org, id)?;
    if org.users.get(i)["is_primary_owner"]
        .as_bool()
        .unwrap_or(false)
    {
        return Err(ScimFailure(
            StatusCode::FORBIDDEN,
            "cannot_modify_primary_owner",
        ));
    }
    Ok(org.change_user(i, |user| {
        user["deleted"] = json!(true);
        scim_resource(user)
    }))
}

async fn scim_user_patch(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(resp) = scim_prelude(&shared, "scim:PATCH Users/{id}", &headers).await {
        return resp;
    }
    let patch: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return scim_error(StatusCode::BAD_REQUEST, "invalid_json"),
    };
    // PatchOp: {"op": "replace", "path": "active", "value": false}, or the
    // value as an object {"active": false}.
    let deactivates = patch["Operations"].as_array().is_some_and(|ops| {
        ops.iter().any(|op| {
            op["op"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case("replace"))
                && (op["path"] == "active" && op["value"] == json!(false)
                    || op["value"]["active"] == json!(false))
        })
    });
    if !deactivates {
        return scim_error(
            StatusCode::BAD_REQUEST,
            "unsupported_patch: the sandbox deactivates only",
        );
    }
    match scim_deactivate(&shared, &id) {
        Ok(resource) => axum::Json(resource).into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn scim_user_delete(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = scim_prelude(&shared, "scim:DELETE Users/{id}", &headers).await {
        return resp;
    }
    match scim_deactivate(&shared, &id) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn control_calls(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.calls.lock().unwrap().clone()).into_response()
}

/// Calls each Web API method had answered 429 by the tier limits.
async fn control_rate_limited(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.rate_limited.lock().unwrap().clone()).into_response()
}

/// The most requests each Web API method had in flight at once.
async fn control_peak_in_flight(State(shared): State<Arc<Shared>>) -> Response {
    let peaks: BTreeMap<String, u64> = shared
        .in_flight
        .lock()
        .unwrap()
        .iter()
        .map(|(m, f)| (m.clone(), f.peak))
        .collect();
    axum::Json(peaks).into_response()
}

async fn control_add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(f) => {
            shared.faults.lock().unwrap().push(f);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, format!("bad fault: {e}\n")).into_response(),
    }
}

async fn control_clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.faults.lock().unwrap().clear();
    StatusCode::NO_CONTENT.into_response()
}
