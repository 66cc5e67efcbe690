//! Keeping under Slack's rate limits instead of leaning on 429s. Slack asks
//! apps to stay within each method's tier and treats repeated 429s as
//! misbehaviour; so each Web API method gets a token bucket of its tier
//! (README, "Rate limits"): a burst of a minute's calls less one, then the
//! tier's pace, a little under it. A call waits for its token before it is
//! sent; concurrent callers queue in order (tokens may go below zero, each
//! caller waiting its turn). A 429 that comes anyway means the limit is
//! tighter than the tier says (another app or process shares it): the
//! next call goes when `Retry-After` says, and the method slows by a fifth
//! each time. Methods outside Slack's tier table (SCIM) are not paced here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::tiers::{calls_per_minute, rate_limit_tier};

/// How far under a tier's pace the client stays. A call that arrives a
/// little early (network jitter) still finds a token: the bucket holds one
/// fewer than Slack's burst, so Slack keeps a call's worth in hand. The
/// margin only has to cover the two clocks running at slightly different
/// rates.
const MARGIN: f64 = 0.99;

/// How much slower a method goes after each 429.
const SLOWDOWN: f64 = 0.8;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Calls that may go now; below zero, calls already queued.
    tokens: f64,
    at: Instant,
    per_second: f64,
    capacity: f64,
}

/// One bucket per method.
#[derive(Debug)]
pub struct Pacer {
    minute: Duration,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Pacer {
    /// Slack's tiers over a minute of `minute` (60 s for Slack itself; the
    /// sandbox's `--rate-limit-minute-ms` for a faster one).
    pub fn new(minute: Duration) -> Pacer {
        Pacer {
            minute: minute.max(Duration::from_millis(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn bucket<'a>(
        &self,
        buckets: &'a mut HashMap<String, Bucket>,
        method: &str,
        now: Instant,
    ) -> Option<&'a mut Bucket> {
        let tier = rate_limit_tier(method)?;
        let capacity = (calls_per_minute(tier) - 1.0).max(1.0);
        let per_second = calls_per_minute(tier) / self.minute.as_secs_f64() * MARGIN;
        let b = buckets.entry(method.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at: now,
            per_second,
            capacity,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * b.per_second).min(b.capacity);
        b.at = now;
        Some(b)
    }

    /// Take a call of `method` at `now`: how long to wait before sending it.
    pub fn reserve(&self, method: &str, now: Instant) -> Duration {
        let mut buckets = self.buckets.lock().unwrap();
        let Some(b) = self.bucket(&mut buckets, method, now) else {
            return Duration::ZERO;
        };
        b.tokens -= 1.0;
        if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.tokens / b.per_second)
        }
    }

    /// Slack answered a call of `method` 429 at `now`, asking to wait
    /// `retry_after`: the next call then, the ones after it slower.
    pub fn limited(&self, method: &str, now: Instant, retry_after: Duration) {
        let mut buckets = self.buckets.lock().unwrap();
        if let Some(b) = self.bucket(&mut buckets, method, now) {
            b.per_second *= SLOWDOWN;
            b.tokens = b.tokens.min(0.0) + 1.0 - retry_after.as_secs_f64() * b.per_second;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[test]
    fn a_burst_then_the_tiers_pace_a_little_under_it() {
        let pacer = Pacer::new(Duration::from_secs(60));
        let t0 = Instant::now();
        // Tier 2: 20 a minute; a burst of 19 goes at once.
        for i in 0..19 {
            assert_eq!(pacer.reserve("users.list", t0), Duration::ZERO, "call {i}");
        }
        // Then one every 3 s / 0.99, queued in order.
        let step = 3.0 / MARGIN;
        for k in 1..=3 {
            let wait = pacer.reserve("users.list", t0).as_secs_f64();
            assert!((wait - step * k as f64).abs() < 1e-6, "{k}: {wait}");
        }
        // Each method has its own bucket; SCIM is not paced.
        assert_eq!(pacer.reserve("admin.users.list", t0), Duration::ZERO);
        for _ in 0..1000 {
            assert_eq!(pacer.reserve("scim:GET Users", t0), Duration::ZERO);
        }
    }

    #[test]
    fn it_never_asks_more_than_the_tier_allows_over_any_minute() {
        // The sandbox's limiter, fed the calls as the pacer lets them go.
        let minute = Duration::from_secs(6);
        let pacer = Pacer::new(minute);
        let mut slack = crate::sandbox::limits::TierLimits::new(minute);
        // A second Slack that gets each call, in order, after a delay that
        // varies from call to call up to a third of the pace (0.3 s), the
        // first call's the longest: jitter.
        let mut far_slack = crate::sandbox::limits::TierLimits::new(minute);
        let t0 = std::time::Instant::now();
        let start = Instant::now();
        let mut sent_at = Duration::ZERO;
        let mut arrived_at = Duration::ZERO;
        for k in 0..200u64 {
            let wait = pacer.reserve("team.accessLogs", start + sent_at);
            sent_at += wait;
            assert_eq!(slack.take("team.accessLogs", t0 + sent_at), Ok(()));
            let delay = Duration::from_millis((99 + k * 37) % 100);
            arrived_at = arrived_at.max(sent_at + delay);
            assert_eq!(
                far_slack.take("team.accessLogs", t0 + arrived_at),
                Ok(()),
                "call {k}"
            );
        }
        // 200 tier-2 calls at 20 per 6 s, after a burst of 19: the floor is
        // 181 × 0.3 s; the pacer takes 1% longer.
        let floor = 181.0 * 0.3;
        let took = sent_at.as_secs_f64();
        assert!(took >= floor && took <= floor * 1.015, "{took} vs {floor}");
    }

    #[test]
    fn a_429_empties_the_bucket_waits_and_slows_down() {
        let pacer = Pacer::new(Duration::from_secs(60));
        let t0 = Instant::now();
        pacer.reserve("usergroups.list", t0);
        pacer.limited("usergroups.list", t0, Duration::from_secs(10));
        // The next call when Slack said, the one after at four fifths the pace.
        let wait = pacer.reserve("usergroups.list", t0);
        assert!((wait.as_secs_f64() - 10.0).abs() < 1e-6, "{}", ms(wait));
        let interval = 3.0 / MARGIN / SLOWDOWN;
        let wait = pacer.reserve("usergroups.list", t0);
        assert!(
            (wait.as_secs_f64() - (10.0 + interval)).abs() < 1e-6,
            "{}",
            ms(wait)
        );
    }
}
