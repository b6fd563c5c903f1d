//! Deleting what is past its time, once a minute while the center serves:
//! audit rows older than the retention, used nonces and sessions past
//! their expiry, activation attempts that no longer count; and writing the
//! refusal summaries of minutes that are over.

use std::sync::Arc;
use std::time::Duration;

use super::{Center, refusals};
use crate::CenterError;
use crate::data::{attempts, audit, nonces, sessions};

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Audit rows past the retention.
    pub audit: u64,
    /// Used nonces past their expiry.
    pub nonces: u64,
    /// Sessions past their time.
    pub sessions: u64,
    /// Activation-attempt rows that no longer count.
    pub attempts: u64,
}

impl Center {
    /// One sweep at center time, in one transaction.
    pub async fn sweep(&self) -> Result<Swept, CenterError> {
        let now = self.now();
        let c = self.config();
        refusals::flush(self.db(), &self.refusals, c.audit_refusals_per_minute, now).await?;
        let mut w = self.db().write(now).await?;
        let audit = if c.audit_keep_days == 0 {
            0
        } else {
            audit::prune(
                &mut w,
                now.saturating_sub(c.audit_keep_days.saturating_mul(86_400)),
            )
            .await?
        };
        let swept = Swept {
            audit,
            nonces: nonces::sweep(&mut w).await?,
            sessions: sessions::sweep(&mut w).await?,
            attempts: attempts::sweep(&mut w, c.activation_lock_secs).await?,
        };
        w.commit().await?;
        Ok(swept)
    }
}

/// Sweeps `center` every `every` until the task is aborted (a failed sweep
/// is logged and tried again next time).
pub fn spawn(center: Arc<Center>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match center.sweep().await {
                Ok(s) if s != Swept::default() => tracing::info!(?s, "swept"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweep failed"),
            }
        }
    })
}
