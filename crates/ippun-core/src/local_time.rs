//! Dates and times as a person reads them: in the computer's time zone, in
//! their language.
//!
//! The zone is the system's (`TZ` when set, else `/etc/localtime`, read
//! through the system time-zone database; UTC when neither names a zone
//! the database has). Japanese reads `2027年12月1日` and
//! `2027年12月1日 14:49 JST`, English `1 Dec 2027` and
//! `1 Dec 2027, 14:49 JST`: a date alone carries no zone (an expiry is a
//! day), a moment names it (an answer-by time is read against a clock).
//! Machine output keeps Unix seconds and RFC 3339
//! ([`input::format_utc`](crate::input::format_utc)).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::i18n::Lang;

/// A time zone to show times in.
#[derive(Debug, Clone)]
pub struct Zone(TimeZone);

impl Zone {
    /// The computer's zone (`TZ` first).
    pub fn system() -> Self {
        Self(TimeZone::system())
    }

    /// A zone of the time-zone database by name (`Asia/Tokyo`), or `None`
    /// when the database has no such zone.
    pub fn named(name: &str) -> Option<Self> {
        TimeZone::get(name).ok().map(Self)
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Self {
        Self(TimeZone::UTC)
    }

    /// The zone's name in the database (`Asia/Tokyo`), when it has one.
    pub fn name(&self) -> Option<&str> {
        self.0.iana_name()
    }

    /// The day of `unix` in this zone, as `lang` writes a date; `?` past
    /// the year 9999.
    pub fn date(&self, lang: Lang, unix: u64) -> String {
        self.format(
            unix,
            match lang {
                Lang::Ja => "%Y年%-m月%-d日",
                Lang::En => "%-d %b %Y",
            },
        )
    }

    /// `unix` to the minute in this zone, with the zone's abbreviation, as
    /// `lang` writes it; `?` past the year 9999.
    pub fn date_time(&self, lang: Lang, unix: u64) -> String {
        self.format(
            unix,
            match lang {
                Lang::Ja => "%Y年%-m月%-d日 %H:%M %Z",
                Lang::En => "%-d %b %Y, %H:%M %Z",
            },
        )
    }

    fn format(&self, unix: u64, pattern: &str) -> String {
        i64::try_from(unix)
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
            .map_or_else(
                || "?".to_owned(),
                |t| {
                    t.to_zoned_datetime(self.0.clone())
                        .strftime(pattern)
                        .to_string()
                },
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2027-11-30 20:30:00 UTC: already 1 December in Tokyo.
    const LATE_EVENING_UTC: u64 = 1_827_606_600;

    fn zone(name: &str) -> Zone {
        Zone::named(name).expect("the system time-zone database has this zone")
    }

    #[test]
    fn an_expiry_falls_on_the_local_day() {
        let tokyo = zone("Asia/Tokyo");
        let berlin = zone("Europe/Berlin");
        assert_eq!(tokyo.date(Lang::Ja, LATE_EVENING_UTC), "2027年12月1日");
        assert_eq!(tokyo.date(Lang::En, LATE_EVENING_UTC), "1 Dec 2027");
        assert_eq!(berlin.date(Lang::Ja, LATE_EVENING_UTC), "2027年11月30日");
        assert_eq!(Zone::utc().date(Lang::En, LATE_EVENING_UTC), "30 Nov 2027");
    }

    #[test]
    fn a_moment_names_its_zone() {
        let tokyo = zone("Asia/Tokyo");
        assert_eq!(
            tokyo.date_time(Lang::Ja, LATE_EVENING_UTC),
            "2027年12月1日 05:30 JST"
        );
        assert_eq!(
            tokyo.date_time(Lang::En, LATE_EVENING_UTC),
            "1 Dec 2027, 05:30 JST"
        );
        // Summer time is the zone's, not a fixed offset.
        let july = 1_814_000_000; // 2027-06-26 08:53:20 UTC
        assert_eq!(
            zone("Europe/Berlin").date_time(Lang::En, july),
            "26 Jun 2027, 10:53 CEST"
        );
        assert_eq!(
            zone("Europe/Berlin").date_time(Lang::En, LATE_EVENING_UTC),
            "30 Nov 2027, 21:30 CET"
        );
    }

    #[test]
    fn out_of_range_reads_as_unknown() {
        assert_eq!(Zone::utc().date(Lang::Ja, u64::MAX), "?");
        assert_eq!(Zone::utc().date_time(Lang::En, 300_000_000_000), "?");
    }

    #[test]
    fn unknown_zone_names_are_refused() {
        assert!(Zone::named("Mars/Olympus_Mons").is_none());
        assert_eq!(zone("Asia/Tokyo").name(), Some("Asia/Tokyo"));
    }
}
