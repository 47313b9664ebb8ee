//! The application clock: every timestamp the memory, session and task tables store comes from here.

use chrono::{DateTime, Utc};

/// `Utc::now()` rounded up to PostgreSQL's microsecond precision.
///
/// Rounding up (never down) keeps the stored instant at or after every `Utc::now()` a caller read before
/// the call, so "not before fail time + backoff" and "later than the previous write" hold exactly; and a
/// value returned from `RETURNING` equals the one read back later.
pub(crate) fn now() -> DateTime<Utc> {
    round_up_to_micros(Utc::now())
}

/// `at` rounded up to a whole microsecond.
pub(crate) fn round_up_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    let sub_micro_nanos = at.timestamp_subsec_nanos() % 1_000;
    if sub_micro_nanos == 0 {
        return at;
    }
    at + chrono::Duration::nanoseconds(i64::from(1_000 - sub_micro_nanos))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn check(nanos: u32, expected_nanos: u32) {
        let at = Utc.timestamp_opt(1_700_000_000, nanos).single().unwrap();
        assert_eq!(round_up_to_micros(at).timestamp_subsec_nanos(), expected_nanos, "{nanos}");
    }

    #[test]
    fn rounds_up_to_the_next_microsecond() {
        check(0, 0);
        check(1_000, 1_000);
        check(1_001, 2_000);
        check(999_999_999, 0);
        check(5_500, 6_000);
    }

    #[test]
    fn now_is_never_before_the_wall_clock() {
        let before = Utc::now();
        assert!(now() >= before);
    }
}
