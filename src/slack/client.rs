//! The HTTP client for Slack's Web API and SCIM API. It owns the token,
//! counts every request, paces each method to its rate-limit tier
//! ([`super::pacing`]), waits out `429 Retry-After` for the method that was
//! limited (all concurrent callers of that method wait together), and retries
//! transient failures (5xx, `fatal_error`, dropped connections, timeouts) with
//! a bounded exponential backoff. Nothing retries forever: a method that Slack
//! lets no call of through for `rate_limit_patience` is given up on.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::error::SlackError;
use super::pacing::Pacer;
use super::tiers::rate_limit_tier;
use super::wire;

/// How many requests to one method may be in flight at once. Slack's tiers
/// allow 20+ (tier 2), 50+ (tier 3) and 100+ (tier 4) calls a minute per
/// method; keeping a few in flight stays inside them at Slack's usual
/// latency, and a 429 still pauses every caller of the method.
fn max_in_flight(method: &str) -> usize {
    match rate_limit_tier(method) {
        Some(1) => 1,
        Some(2) => 3,
        Some(3) => 6,
        Some(4) => 10,
        _ => 4,
    }
}

/// A Slack token. Its value is never shown by `Debug` or `Display`.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Token {
        Token(value.into().trim().to_owned())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// How hard to try before giving up.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries for one request that fails transiently (5xx, network).
    pub max_attempts: u32,
    /// How long a request waits out 429s while its method gets no call
    /// through at all. Under sustained limits a request may wait many times
    /// while other calls of its method succeed; that is progress, and a long
    /// sync of a large org is made of it.
    pub rate_limit_patience: Duration,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured as given; longer ones are capped.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            rate_limit_patience: Duration::from_secs(600),
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub api_url: String,
    pub scim_url: String,
    pub token: Token,
    pub retry: RetryPolicy,
    pub timeout: Duration,
    /// How long a minute of Slack's rate limits lasts: 60 s, or the
    /// sandbox's `--rate-limit-minute-ms`.
    pub rate_minute: Duration,
}

/// Whether the workspace answers SCIM, which tells Business+ from Pro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimProbe {
    Available { total_users: u64 },
    Unavailable { status: u16, detail: String },
}

pub struct SlackClient {
    http: reqwest::Client,
    api_url: String,
    scim_url: String,
    token: Token,
    retry: RetryPolicy,
    calls: Mutex<BTreeMap<String, u64>>,
    /// Per method: no request before this instant (set by a 429).
    not_before: Mutex<HashMap<String, Instant>>,
    /// Per method: the requests allowed in flight at once.
    in_flight: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Per method: when a call of it last succeeded.
    progress: Mutex<HashMap<String, Instant>>,
    /// Per method: calls kept within its tier.
    pacer: Pacer,
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

/// Why a try did not settle, and how long to wait before the next.
struct Retry {
    /// `Some` for a rate limit: what `Retry-After` asked.
    rate_limit: Option<Duration>,
    error: SlackError,
}

enum Attempt<T> {
    Done(T),
    Retry(Retry),
}

impl SlackClient {
    pub fn new(config: ClientConfig) -> Result<SlackClient, SlackError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("slack-uar/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|source| SlackError::Transport {
                method: "client setup".into(),
                attempts: 0,
                source,
            })?;
        Ok(SlackClient {
            http,
            api_url: with_slash(&config.api_url),
            scim_url: with_slash(&config.scim_url),
            token: config.token,
            retry: config.retry,
            calls: Mutex::new(BTreeMap::new()),
            not_before: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            progress: Mutex::new(HashMap::new()),
            pacer: Pacer::new(config.rate_minute),
        })
    }

    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    pub fn scim_url(&self) -> &str {
        &self.scim_url
    }

    /// Requests made so far, by method (every try counts).
    pub fn calls_by_method(&self) -> BTreeMap<String, u64> {
        self.calls.lock().unwrap().clone()
    }

    pub fn total_calls(&self) -> u64 {
        self.calls.lock().unwrap().values().sum()
    }

    fn count(&self, method: &str) {
        *self
            .calls
            .lock()
            .unwrap()
            .entry(method.to_owned())
            .or_default() += 1;
    }

    /// Wait for a free slot among `method`'s requests in flight.
    async fn slot(&self, method: &str) -> OwnedSemaphorePermit {
        let sem = self
            .in_flight
            .lock()
            .unwrap()
            .entry(method.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(max_in_flight(method))))
            .clone();
        sem.acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    async fn wait_for_gate(&self, method: &str) {
        let until = self.not_before.lock().unwrap().get(method).copied();
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }

    fn close_gate(&self, method: &str, wait: Duration) {
        let until = Instant::now() + wait;
        let mut gates = self.not_before.lock().unwrap();
        let gate = gates.entry(method.to_owned()).or_insert(until);
        if *gate < until {
            *gate = until;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .retry
            .base_delay
            .saturating_mul(1u32 << attempt.min(16));
        let capped = exp.min(self.retry.max_delay);
        // Jitter (up to a quarter) so that concurrent retries spread out.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        capped + capped / 4 * (nanos % 1000) / 1000
    }

    fn retry_after(&self, headers: &HeaderMap) -> Duration {
        let secs = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(1)
            // Slack never asks for less than a second; a 0 from a proxy
            // must not turn waiting into a tight loop.
            .max(1);
        Duration::from_secs(secs).min(self.retry.max_retry_after)
    }

    /// How long `gate` has let nothing through, for a request that started
    /// at `started`: since its last success, or the request's start if later.
    fn stalled_for(&self, gate: &str, started: Instant) -> Duration {
        let last = self.progress.lock().unwrap().get(gate).copied();
        let since = last.map_or(started, |l| l.max(started));
        Instant::now().saturating_duration_since(since)
    }

    /// Run `attempt` until it succeeds, fails for good, or the retry budget
    /// is spent. `gate` names the rate-limit bucket.
    async fn with_retries<T, F, Fut>(&self, gate: &str, mut attempt: F) -> Result<T, SlackError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Attempt<T>, SlackError>>,
    {
        let mut transient = 0u32;
        let started = Instant::now();
        loop {
            let turn = self.pacer.reserve(gate, Instant::now());
            if !turn.is_zero() {
                tokio::time::sleep(turn).await;
            }
            self.wait_for_gate(gate).await;
            self.count(gate);
            match attempt().await? {
                Attempt::Done(v) => {
                    self.progress
                        .lock()
                        .unwrap()
                        .insert(gate.to_owned(), Instant::now());
                    return Ok(v);
                }
                Attempt::Retry(Retry {
                    rate_limit: Some(wait),
                    error: err,
                }) => {
                    if self.stalled_for(gate, started) >= self.retry.rate_limit_patience {
                        return Err(err);
                    }
                    tracing::warn!(
                        method = gate,
                        seconds = wait.as_secs_f64(),
                        "rate limited by Slack; waiting as Retry-After asks"
                    );
                    self.close_gate(gate, wait);
                    self.pacer.limited(gate, Instant::now(), wait);
                }
                Attempt::Retry(Retry {
                    rate_limit: None,
                    error: err,
                }) => {
                    transient += 1;
                    if transient >= self.retry.max_attempts {
                        return Err(err.after_attempts(transient));
                    }
                    let wait = self.backoff(transient - 1);
                    tracing::warn!(
                        "{} (try {transient} of {}); retrying in {} ms",
                        err.one_failure(),
                        self.retry.max_attempts,
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Call a read method of the Web API and decode its answer.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: &[(&str, String)],
    ) -> Result<T, SlackError> {
        let (body, _) = self.call_raw(method, params).await?;
        decode(method, &body)
    }

    fn transient(&self, error: SlackError) -> Retry {
        Retry {
            rate_limit: None,
            error,
        }
    }

    fn rate_limited(&self, gate: &str, headers: &HeaderMap) -> Retry {
        Retry {
            rate_limit: Some(self.retry_after(headers)),
            error: SlackError::RateLimited {
                method: gate.into(),
                seconds: self.retry.rate_limit_patience.as_secs(),
            },
        }
    }

    fn transport(&self, gate: &str, source: reqwest::Error) -> Retry {
        self.transient(SlackError::Transport {
            method: gate.into(),
            attempts: 1,
            source,
        })
    }

    /// Send `req` and sort out what every Slack API shares: a dropped
    /// connection, a timeout or a 5xx is transient, a 429 is a rate limit.
    /// Anything else is the caller's to read.
    async fn send(
        &self,
        gate: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Retry> {
        let resp = req
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(|source| self.transport(gate, source))?;
        let status = resp.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(self.rate_limited(gate, resp.headers()));
        }
        if status.is_server_error() {
            return Err(self.transient(SlackError::Http {
                method: gate.into(),
                status: status.as_u16(),
                attempts: 1,
            }));
        }
        Ok(resp)
    }

    /// Call a cursor-paginated list `method` until its last page, handing
    /// each page to `take` before the next is asked for, so that a caller
    /// can stream pages into storage.
    pub async fn each_page<P, E>(
        &self,
        method: &str,
        params: &[(&str, String)],
        mut take: impl FnMut(P) -> Result<(), E>,
    ) -> Result<(), E>
    where
        P: DeserializeOwned + wire::Page,
        E: From<SlackError>,
    {
        let mut cursor = String::new();
        loop {
            let mut p = params.to_vec();
            if !cursor.is_empty() {
                p.push(("cursor", cursor));
            }
            let page: P = self.call(method, &p).await?;
            cursor = page.next_cursor().to_owned();
            take(page)?;
            if cursor.is_empty() {
                return Ok(());
            }
        }
    }

    /// Like [`call`](Self::call), also returning the response headers.
    pub async fn call_raw(
        &self,
        method: &str,
        params: &[(&str, String)],
    ) -> Result<(Vec<u8>, HeaderMap), SlackError> {
        let url = format!("{}{method}", self.api_url);
        let _slot = self.slot(method).await;
        self.with_retries(method, || async {
            let resp = match self.send(method, self.http.post(&url).form(params)).await {
                Ok(r) => r,
                Err(retry) => return Ok(Attempt::Retry(retry)),
            };
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = match resp.bytes().await {
                // No copy where the buffer is the body's alone.
                Ok(b) => Vec::from(b),
                Err(source) => return Ok(Attempt::Retry(self.transport(method, source))),
            };
            let envelope: wire::Envelope = match serde_json::from_slice(&body) {
                Ok(env) => env,
                Err(_) if !status.is_success() => {
                    return Err(SlackError::Http {
                        method: method.into(),
                        status: status.as_u16(),
                        attempts: 1,
                    });
                }
                Err(e) => {
                    return Err(SlackError::Decode {
                        method: method.into(),
                        detail: e.to_string(),
                    });
                }
            };
            if envelope.ok {
                return Ok(Attempt::Done((body, headers)));
            }
            let code = envelope.error.unwrap_or_else(|| "unknown_error".into());
            match code.as_str() {
                "ratelimited" => Ok(Attempt::Retry(self.rate_limited(method, &headers))),
                "fatal_error" | "internal_error" | "service_unavailable" | "request_timeout" => {
                    Ok(Attempt::Retry(self.transient(SlackError::ServerError {
                        method: method.into(),
                        code,
                        attempts: 1,
                    })))
                }
                _ => Err(SlackError::from_code(
                    method,
                    &code,
                    envelope.needed,
                    envelope.provided,
                )),
            }
        })
        .await
    }

    /// `GET <scim-url>Users?count=1`: answers only on plans with SCIM
    /// (Business+ and Enterprise Grid) and for tokens with the `admin` scope.
    pub async fn scim_probe(&self) -> Result<ScimProbe, SlackError> {
        const GATE: &str = "scim:GET Users";
        let url = format!("{}Users?startIndex=1&count=1", self.scim_url);
        self.with_retries(GATE, || async {
            let resp = match self.send(GATE, self.http.get(&url)).await {
                Ok(r) => r,
                Err(retry) => return Ok(Attempt::Retry(retry)),
            };
            let status = resp.status();
            let body = match resp.bytes().await {
                Ok(b) => b,
                Err(source) => return Ok(Attempt::Retry(self.transport(GATE, source))),
            };
            if status.is_success() {
                let list: wire::ScimList = decode(GATE, &body)?;
                return Ok(Attempt::Done(ScimProbe::Available {
                    total_users: list.total_results,
                }));
            }
            Ok(Attempt::Done(ScimProbe::Unavailable {
                status: status.as_u16(),
                detail: scim_error_detail(&body),
            }))
        })
        .await
    }

    /// SCIM `PATCH Users/<id>` setting `active` to false. Deactivating is
    /// idempotent, so a retried request cannot do harm.
    pub async fn scim_deactivate(&self, user_id: &str) -> Result<(), SlackError> {
        const GATE: &str = "scim:PATCH Users/{id}";
        let url = format!("{}Users/{user_id}", self.scim_url);
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": false}],
        });
        self.with_retries(GATE, || async {
            let resp = match self.send(GATE, self.http.patch(&url).json(&body)).await {
                Ok(r) => r,
                Err(retry) => return Ok(Attempt::Retry(retry)),
            };
            let status = resp.status();
            if status.is_success() {
                return Ok(Attempt::Done(()));
            }
            let body = resp.bytes().await.unwrap_or_default();
            Err(SlackError::Api {
                method: GATE.into(),
                code: format!("HTTP {}", status.as_u16()),
                detail: Some(scim_error_detail(&body)),
            })
        })
        .await
    }
}

/// The description of a SCIM error body, v1 (`Errors.description`) or v2
/// (`detail`) form.
fn scim_error_detail(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    v.pointer("/Errors/description")
        .or_else(|| v.get("detail"))
        .and_then(|d| d.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect())
}

/// `method`'s answer `body` as a `T`, which may borrow from it; an error
/// names where in the JSON it went wrong.
pub fn decode<'a, T: serde::Deserialize<'a>>(
    method: &str,
    body: &'a [u8],
) -> Result<T, SlackError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| SlackError::Decode {
        method: method.into(),
        detail: format!("at {}: {}", e.path(), e.inner()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::{OrgData, Sandbox};

    async fn client_of(sandbox: &Sandbox, retry: RetryPolicy) -> SlackClient {
        SlackClient::new(ClientConfig {
            api_url: sandbox.api_url(),
            scim_url: sandbox.scim_url(),
            token: Token::new(sandbox.token()),
            retry,
            timeout: Duration::from_secs(10),
            rate_minute: Duration::from_secs(60),
        })
        .unwrap()
    }

    async fn fault(sandbox: &Sandbox, fault: serde_json::Value) {
        let url = sandbox.api_url().replace("/api/", "/_sandbox/faults");
        let resp = reqwest::Client::new()
            .post(url)
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
    }

    #[tokio::test]
    async fn a_method_slack_lets_nothing_through_is_given_up_after_the_patience() {
        let sandbox = Sandbox::start(
            OrgData::bundled("kestrel-q3").unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        fault(
            &sandbox,
            serde_json::json!({"method": "users.list", "kind": "ratelimited", "retry_after": 1, "times": 0}),
        )
        .await;
        let patience = Duration::from_millis(2500);
        let client = client_of(
            &sandbox,
            RetryPolicy {
                rate_limit_patience: patience,
                ..RetryPolicy::default()
            },
        )
        .await;
        let started = std::time::Instant::now();
        let err = client
            .call::<serde_json::Value>("users.list", &[("limit", "10".into())])
            .await
            .unwrap_err();
        assert!(matches!(err, SlackError::RateLimited { .. }), "{err}");
        assert!(started.elapsed() >= patience);
        // A wait of a second per 429 until the patience is spent: four
        // tries, or three on a machine slow enough to lose half a second.
        let tries = client.calls_by_method()["users.list"];
        assert!((3..=4).contains(&tries), "{tries}");
        // Another method is not held up by it.
        let team: wire::TeamInfo = client.call("team.info", &[]).await.unwrap();
        assert_eq!(team.team.id, "T04KSTRL9");
    }
}
