//! Refusals of app requests in the audit log, bounded: each kind (action
//! and code) is written one row per refusal up to
//! [`Config::audit_refusals_per_minute`](crate::Config) in a minute; the
//! rest of that minute is counted and written as one summary row (no user,
//! the count in its detail) when the minute is over. A flood of refused
//! requests from strangers thus costs a few rows a minute, not one each.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use ippun_core::ErrorCode;

use crate::CenterError;
use crate::data::{self, Action, Actor, AuditEntry, Db, Outcome, Who};

type Kind = (Action, ErrorCode);

/// Counts refusals per kind within the current minute.
#[derive(Debug, Default)]
pub struct RefusalMeter {
    inner: Mutex<Minute>,
}

#[derive(Debug, Default)]
struct Minute {
    /// Unix minute being counted.
    minute: u64,
    /// Refusals of each kind in it.
    seen: HashMap<Kind, u64>,
}

/// Whether a refusal gets its own row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// Write it.
    Row,
    /// Counted into the minute's summary.
    Counted,
}

impl RefusalMeter {
    /// Counts one refusal of `kind` at `now`. Returns whether it gets its
    /// own row, and the summaries of a minute that is over (to write).
    fn count(&self, now: u64, kind: Kind, per_minute: u32) -> (Record, Vec<(u64, Kind, u64)>) {
        let mut m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let over = m.roll(now / 60, per_minute);
        let n = m.seen.entry(kind).or_insert(0);
        *n += 1;
        let record = if *n <= u64::from(per_minute) {
            Record::Row
        } else {
            Record::Counted
        };
        (record, over)
    }

    /// The summaries of minutes that are over at `now`.
    fn over(&self, now: u64, per_minute: u32) -> Vec<(u64, Kind, u64)> {
        let mut m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        m.roll(now / 60, per_minute)
    }
}

impl Minute {
    fn roll(&mut self, minute: u64, per_minute: u32) -> Vec<(u64, Kind, u64)> {
        if minute == self.minute {
            return Vec::new();
        }
        let start = self.minute * 60;
        let over = self
            .seen
            .drain()
            .filter(|(_, n)| *n > u64::from(per_minute))
            .map(|(k, n)| (start, k, n - u64::from(per_minute)))
            .collect();
        self.minute = minute;
        over
    }
}

/// Audits one refusal of an app request about `who`, or counts it.
pub(crate) async fn record(
    db: &Db,
    meter: &RefusalMeter,
    per_minute: u32,
    now: u64,
    action: Action,
    who: Who<'_>,
    code: ErrorCode,
) -> Result<(), CenterError> {
    let (record, over) = meter.count(now, (action, code), per_minute);
    if record == Record::Row || !over.is_empty() {
        let mut w = db.write(now).await?;
        if record == Record::Row {
            w.audit(AuditEntry::new(
                Actor::App,
                action,
                who,
                Outcome::Refused(code),
            ))
            .await?;
        }
        write_summaries(&mut w, &over).await?;
        w.commit().await?;
    }
    Ok(())
}

/// Writes the summaries of minutes that are over (the sweep calls this, so
/// a summary does not wait for the next refusal).
pub(crate) async fn flush(
    db: &Db,
    meter: &RefusalMeter,
    per_minute: u32,
    now: u64,
) -> Result<(), CenterError> {
    let over = meter.over(now, per_minute);
    if over.is_empty() {
        return Ok(());
    }
    let mut w = db.write(now).await?;
    write_summaries(&mut w, &over).await?;
    w.commit().await
}

async fn write_summaries(
    w: &mut data::Write<'_>,
    over: &[(u64, Kind, u64)],
) -> Result<(), CenterError> {
    for (start, (action, code), n) in over {
        w.audit(
            AuditEntry::new(Actor::App, *action, Who::default(), Outcome::Refused(*code)).detail(
                format!("{n} more like this in the minute from {start} (not written one by one)"),
            ),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_written_up_to_the_limit_then_summed_per_minute() {
        let m = RefusalMeter::default();
        let kind = (Action::Provision, ErrorCode::S0A1);
        let other = (Action::Provision, ErrorCode::S0C1);
        let t = 6_000;
        assert_eq!(m.count(t, kind, 2).0, Record::Row);
        assert_eq!(m.count(t + 1, kind, 2).0, Record::Row);
        assert_eq!(m.count(t + 2, kind, 2).0, Record::Counted);
        assert_eq!(m.count(t + 3, kind, 2).0, Record::Counted);
        assert_eq!(m.count(t + 4, other, 2).0, Record::Row);
        assert!(m.over(t + 59, 2).is_empty());
        let over = m.over(t + 60, 2);
        assert_eq!(over, vec![(t, kind, 2)]);
        assert_eq!(m.count(t + 61, kind, 2).0, Record::Row, "a new minute");
    }
}
