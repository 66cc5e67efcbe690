//! Slack's per-method rate limits, as the sandbox enforces them when asked
//! (`sandbox --rate-limits`). Each Web API method of a tier may be called
//! that tier's number of times a minute, with bursts of up to a minute's
//! budget, as Slack's rate-limit documentation describes ("Tier 2: 20+ per
//! minute", "allows occasional bursts"); past it, the call is answered 429
//! with `Retry-After`. The minute may be shortened to try limits quickly.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::slack::tiers::{calls_per_minute, rate_limit_tier};

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// One budget per method, refilled continuously.
#[derive(Debug)]
pub struct TierLimits {
    minute: Duration,
    buckets: HashMap<String, Bucket>,
}

impl TierLimits {
    /// Slack's tiers over a minute of `minute` (60 s for Slack's own pace).
    pub fn new(minute: Duration) -> TierLimits {
        TierLimits {
            minute: minute.max(Duration::from_millis(1)),
            buckets: HashMap::new(),
        }
    }

    /// Take one call of `method` at `now`; when its budget is spent, the
    /// whole seconds to wait (`Retry-After`). Methods without a tier in
    /// Slack's table are not limited.
    pub fn take(&mut self, method: &str, now: Instant) -> Result<(), u64> {
        let Some(tier) = rate_limit_tier(method) else {
            return Ok(());
        };
        let capacity = calls_per_minute(tier);
        let per_second = capacity / self.minute.as_secs_f64();
        let bucket = self.buckets.entry(method.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = (1.0 - bucket.tokens) / per_second;
        Err((wait.ceil() as u64).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tier_allows_a_minutes_burst_then_its_rate() {
        let start = Instant::now();
        let mut limits = TierLimits::new(Duration::from_secs(60));
        for i in 0..20 {
            assert_eq!(limits.take("usergroups.list", start), Ok(()), "call {i}");
        }
        // Tier 2 refills one call every 3 s.
        assert_eq!(limits.take("usergroups.list", start), Err(3));
        assert_eq!(
            limits.take("usergroups.list", start + Duration::from_secs(3)),
            Ok(())
        );
        assert!(
            limits
                .take("usergroups.list", start + Duration::from_secs(4))
                .is_err()
        );
        // Each method has its own budget; one outside Slack's table has none.
        assert_eq!(limits.take("admin.users.list", start), Ok(()));
        for _ in 0..1000 {
            assert_eq!(limits.take("not.a.method", start), Ok(()));
        }
    }

    #[test]
    fn a_short_minute_refills_quickly_and_still_asks_for_a_whole_second() {
        let start = Instant::now();
        let mut limits = TierLimits::new(Duration::from_secs(3));
        for _ in 0..20 {
            limits.take("usergroups.list", start).unwrap();
        }
        assert_eq!(limits.take("usergroups.list", start), Err(1));
        assert_eq!(
            limits.take("usergroups.list", start + Duration::from_millis(150)),
            Ok(())
        );
    }
}
