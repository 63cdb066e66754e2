//! Facts known only approximately, said as an indictment says them: offense dates "in or
//! about" a month or year, date ranges, and amounts "more than" or "at least" a figure.
//!
//! Each value keeps what was recorded and nothing more: a month stays a month (it is never
//! silently turned into its first day), and "more than $10,000,000" stays a lower bound. Where
//! a rule needs one number (a limitation deadline, a loss table) it asks for the conservative
//! one (`earliest`, `minimum_cents`) and the caller says which it used.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::{Date, Month};

use super::incident::format_dollars;

vocabulary!(
    /// How a recorded figure relates to the true one.
    Bound, "a bound" {
        Exact => ("exact", "Exactly"),
        AtLeast => ("at_least", "At least"),
        MoreThan => ("more_than", "More than"),
    }
);

impl Bound {
    /// The words before the figure: "", "at least ", "more than ".
    fn prefix(self) -> &'static str {
        match self {
            Bound::Exact => "",
            Bound::AtLeast => "at least ",
            Bound::MoreThan => "more than ",
        }
    }

    /// Splits "more than 80", "at least 5", "over 3", ">= 4", "80+" into the bound and the
    /// figure's text.
    fn split(text: &str) -> (Bound, &str) {
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        for (words, bound) in [
            ("more than", Bound::MoreThan),
            ("over", Bound::MoreThan),
            ("in excess of", Bound::MoreThan),
            (">=", Bound::AtLeast),
            ("\u{2265}", Bound::AtLeast),
            (">", Bound::MoreThan),
            ("at least", Bound::AtLeast),
            ("no less than", Bound::AtLeast),
            ("not less than", Bound::AtLeast),
        ] {
            if lower.starts_with(words) {
                return (bound, text[words.len()..].trim());
            }
        }
        match text.strip_suffix('+') {
            Some(rest) => (Bound::AtLeast, rest.trim()),
            None => (Bound::Exact, text),
        }
    }

    pub fn is_exact(self) -> bool {
        self == Bound::Exact
    }

    /// What the database keeps: nothing for an exact figure (as every row written before
    /// bounds), else the bound's name.
    pub fn stored(self) -> Option<&'static str> {
        (self != Bound::Exact).then(|| self.as_str())
    }

    pub fn from_stored(stored: Option<&str>) -> Result<Bound, String> {
        stored.map_or(Ok(Bound::Exact), str::parse)
    }

    /// The bound of a sum: any "more than" part makes the sum "more than", else any "at least"
    /// part "at least".
    fn combine(self, other: Bound) -> Bound {
        self.max(other)
    }
}

/// A dollar amount as recorded: an exact figure or a lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub cents: i64,
    pub bound: Bound,
}

impl Amount {
    pub fn exact(cents: i64) -> Amount {
        Amount { cents, bound: Bound::Exact }
    }

    /// Parses "243,000.50", "$1200", "more than $10,000,000", "at least 5000", "10000000+";
    /// empty means unknown.
    pub fn parse(text: &str) -> Result<Option<Amount>, String> {
        let (bound, figure) = Bound::split(text);
        if figure.is_empty() && bound != Bound::Exact {
            return Err(format!("'{}' names no amount", text.trim()));
        }
        match super::incident::parse_dollars(figure) {
            Ok(Some(cents)) => Ok(Some(Amount { cents, bound })),
            Ok(None) => Ok(None),
            Err(_) => Err(format!(
                "'{}' is not a dollar amount (such as 243000.50, more than 10000000, at least 5000)",
                text.trim()
            )),
        }
    }

    /// The smallest number of cents the record allows: the figure, or one cent more for
    /// "more than".
    pub fn minimum_cents(&self) -> i64 {
        match self.bound {
            Bound::MoreThan => self.cents.saturating_add(1),
            _ => self.cents,
        }
    }

    pub fn is_exact(&self) -> bool {
        self.bound == Bound::Exact
    }

    /// Twice the amount, keeping the bound (the § 3571(d) alternative fine).
    pub fn doubled(&self) -> Amount {
        Amount { cents: self.cents.saturating_mul(2), bound: self.bound }
    }

    /// The sum of recorded amounts; `None` when there are none.
    pub fn sum<'a>(amounts: impl IntoIterator<Item = &'a Amount>) -> Option<Amount> {
        amounts.into_iter().fold(None, |total: Option<Amount>, a| {
            Some(match total {
                None => *a,
                Some(t) => Amount { cents: t.cents.saturating_add(a.cents), bound: t.bound.combine(a.bound) },
            })
        })
    }

    /// "more than $10,000,000.00": with cents, as the exposure tables write figures.
    pub fn with_cents(&self) -> String {
        format!("{}{}", self.bound.prefix(), format_dollars(self.cents))
    }

    /// "more than 10000000.00": the form a field shows for editing; it parses back to itself.
    pub fn plain(&self) -> String {
        format!("{}{}", self.bound.prefix(), super::incident::format_cents_plain(self.cents))
    }
}

/// "$243,000.50", "more than $10,000,000", "at least $5,000": whole dollars are written
/// without cents, as an indictment writes them.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dollars = format_dollars(self.cents);
        let dollars = dollars.strip_suffix(".00").unwrap_or(&dollars);
        write!(f, "{}{dollars}", self.bound.prefix())
    }
}

/// A number of people as recorded: "80", "80+" or "more than 80".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Headcount {
    pub count: i64,
    pub bound: Bound,
}

/// No recorded class is larger: a bigger figure is a typing error.
pub const HEADCOUNT_MAX: i64 = 1_000_000_000;

impl Headcount {
    pub fn parse(text: &str) -> Result<Option<Headcount>, String> {
        let (bound, figure) = Bound::split(text);
        let figure: String = figure.chars().filter(|c| *c != ',').collect();
        if figure.is_empty() {
            return if bound == Bound::Exact { Ok(None) } else { Err(format!("'{}' names no number", text.trim())) };
        }
        let bad = || format!("'{}' is not a number of victims (such as 80, 80+ or more than 80)", text.trim());
        let count: i64 = figure.parse().map_err(|_| bad())?;
        if !(1..=HEADCOUNT_MAX).contains(&count) {
            return Err(bad());
        }
        Ok(Some(Headcount { count, bound }))
    }

    /// The fewest people the record allows.
    pub fn minimum(&self) -> i64 {
        match self.bound {
            Bound::MoreThan => self.count.saturating_add(1),
            _ => self.count,
        }
    }

    /// "80", "80+", "more than 80": the form a field shows; it parses back to itself.
    pub fn plain(&self) -> String {
        match self.bound {
            Bound::Exact => self.count.to_string(),
            Bound::AtLeast => format!("{}+", self.count),
            Bound::MoreThan => format!("more than {}", self.count),
        }
    }
}

/// "80", "at least 80", "more than 80".
impl fmt::Display for Headcount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.bound.prefix(), self.count)
    }
}

vocabulary!(
    /// How much of a date is known.
    DatePrecision, "a date precision" {
        Day => ("day", "Day"),
        Month => ("month", "Month"),
        Year => ("year", "Year"),
    }
);

/// A day, a month or a year, possibly "in or about" it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first day of the period.
    pub start: Date,
    pub precision: DatePrecision,
    /// "On or about" a day, "in or about" a month or year.
    pub about: bool,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

impl Period {
    pub fn day(date: Date) -> Period {
        Period { start: date, precision: DatePrecision::Day, about: false }
    }

    /// Parses "2017-03-04", "2017-03", "2017", "March 2017", "March 4, 2017", each optionally
    /// after "in or about", "on or about", "about" or "~".
    pub fn parse(text: &str) -> Result<Period, String> {
        let original = text.trim();
        let lower = original.to_ascii_lowercase();
        let mut rest = lower.as_str();
        let mut about = false;
        for words in ["in or about", "on or about", "about", "circa", "approximately", "approx.", "c.", "~"] {
            if let Some(r) = rest.strip_prefix(words) {
                rest = r.trim();
                about = true;
                break;
            }
        }
        let bad = || {
            format!(
                "'{original}' is not a date: give a day (2017-03-04), a month (2017-03 or March 2017) or a year (2017), optionally 'in or about'"
            )
        };
        let (start, precision) = parse_iso(rest).or_else(|| parse_words(rest)).ok_or_else(bad)?;
        Ok(Period { start, precision, about })
    }

    /// The first day the period can mean.
    pub fn earliest(&self) -> Date {
        self.start
    }

    /// The last day the period can mean.
    pub fn latest(&self) -> Date {
        let year = self.start.year();
        match self.precision {
            DatePrecision::Day => self.start,
            DatePrecision::Month => {
                let month = self.start.month();
                Date::from_calendar_date(year, month, month.length(year)).unwrap_or(self.start)
            }
            DatePrecision::Year => Date::from_calendar_date(year, Month::December, 31).unwrap_or(self.start),
        }
    }

    /// Whether the period names one exact day.
    pub fn is_exact_day(&self) -> bool {
        self.precision == DatePrecision::Day && !self.about
    }

    /// "2017-03-04", "about 2017-03", "2017": the stored and editable form; parses back to itself.
    pub fn canonical(&self) -> String {
        let date = match self.precision {
            DatePrecision::Day => self.start.to_string(),
            DatePrecision::Month => format!("{}-{:02}", self.start.year(), u8::from(self.start.month())),
            DatePrecision::Year => self.start.year().to_string(),
        };
        if self.about { format!("about {date}") } else { date }
    }

    /// As an indictment says it: "2017-03-04", "on or about March 4, 2017", "in or about
    /// March 2017", "in or about 2017", "March 2017", "2017". An exact day keeps the ISO form
    /// Custos uses for every other date.
    pub fn describe(&self) -> String {
        let month = MONTHS[usize::from(u8::from(self.start.month())) - 1];
        let month = format!("{}{}", month[..1].to_ascii_uppercase(), &month[1..]);
        let year = self.start.year();
        match (self.precision, self.about) {
            (DatePrecision::Day, false) => self.start.to_string(),
            (DatePrecision::Day, true) => format!("on or about {month} {}, {year}", self.start.day()),
            (DatePrecision::Month, about) => format!("{}{month} {year}", if about { "in or about " } else { "" }),
            (DatePrecision::Year, about) => format!("{}{year}", if about { "in or about " } else { "" }),
        }
    }

    /// Reads the stored form back: `date` is the first day, `form` the canonical text of an
    /// approximate period (none for an exact day, as every row written before periods).
    pub fn from_stored(date: Date, form: Option<&str>) -> Result<Period, String> {
        match form {
            None => Ok(Period::day(date)),
            Some(text) => {
                let period = Period::parse(text)?;
                if period.start != date {
                    return Err(format!("the date form '{text}' does not begin on {date}"));
                }
                Ok(period)
            }
        }
    }

    /// What the database keeps beside the first day: nothing for an exact day.
    pub fn stored_form(&self) -> Option<String> {
        (!self.is_exact_day()).then(|| self.canonical())
    }

    /// Checks the period against the calendar of the case: not in the future, not before 1900.
    pub fn check(self, today: Date) -> Result<Period, String> {
        if self.start > today {
            return Err("is in the future".into());
        }
        if self.start.year() < super::EARLIEST_YEAR {
            return Err(format!("is before {}: check the year", super::EARLIEST_YEAR));
        }
        Ok(self)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

fn parse_iso(text: &str) -> Option<(Date, DatePrecision)> {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |s: &str, len: usize| {
        (s.len() == len && s.chars().all(|c| c.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    let year: i32 = number(parts.first()?, 4)?;
    match parts.len() {
        1 => Some((Date::from_calendar_date(year, Month::January, 1).ok()?, DatePrecision::Year)),
        2 => {
            let month = Month::try_from(number(parts[1], 2)? as u8).ok()?;
            Some((Date::from_calendar_date(year, month, 1).ok()?, DatePrecision::Month))
        }
        3 => {
            let month = Month::try_from(number(parts[1], 2)? as u8).ok()?;
            let day: u8 = number(parts[2], 2)? as u8;
            Some((Date::from_calendar_date(year, month, day).ok()?, DatePrecision::Day))
        }
        _ => None,
    }
}

/// "march 2017", "mar. 2017", "march 4, 2017" (already lower case).
fn parse_words(text: &str) -> Option<(Date, DatePrecision)> {
    let mut words = text.split_whitespace();
    let name = words.next()?.trim_end_matches('.');
    let index = MONTHS.iter().position(|m| name.len() >= 3 && m.starts_with(name))?;
    let month = Month::try_from(u8::try_from(index + 1).ok()?).ok()?;
    let second = words.next()?;
    let (day, year) = match words.next() {
        Some(year) => (Some(second.trim_end_matches(',').parse::<u8>().ok()?), year),
        None => (None, second),
    };
    if words.next().is_some() || year.len() != 4 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    match day {
        Some(day) => Some((Date::from_calendar_date(year, month, day).ok()?, DatePrecision::Day)),
        None => Some((Date::from_calendar_date(year, month, 1).ok()?, DatePrecision::Month)),
    }
}

/// When a count's offense happened: one period, or a range from one through another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffenseDate {
    pub from: Period,
    pub through: Option<Period>,
}

impl From<Date> for OffenseDate {
    fn from(date: Date) -> OffenseDate {
        OffenseDate { from: Period::day(date), through: None }
    }
}

impl OffenseDate {
    /// Parses one period or a range ("2017 to 2019", "about 2017-03 through about 2018-06");
    /// empty means unknown. A date in the future is refused.
    pub fn parse(text: &str, today: Date) -> Result<Option<OffenseDate>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let lower = text.to_ascii_lowercase();
        let split = [" through ", " to ", " until ", "..", " - "]
            .iter()
            .find_map(|sep| lower.find(sep).map(|at| (at, sep.len())));
        let (from, through) = match split {
            Some((at, len)) => {
                let from = lower[..at].trim().trim_start_matches("from ").trim_start_matches("between ");
                (from.to_owned(), Some(lower[at + len..].trim().to_owned()))
            }
            None => (lower.clone(), None),
        };
        let from = Period::parse(&from)?.check(today)?;
        let through = through.map(|t| Period::parse(&t).and_then(|p| p.check(today))).transpose()?;
        if let Some(t) = through {
            if t.latest() < from.earliest() {
                return Err("the range ends before it begins".into());
            }
            if t == from {
                return Ok(Some(OffenseDate { from, through: None }));
            }
        }
        Ok(Some(OffenseDate { from, through }))
    }

    /// The first day the record allows: what a limitation deadline runs from, so that a
    /// deadline never overstates the time left.
    pub fn earliest(&self) -> Date {
        self.from.earliest()
    }

    /// Whether the record names one exact day.
    pub fn is_exact_day(&self) -> bool {
        self.through.is_none() && self.from.is_exact_day()
    }

    /// The stored and editable form: "2017-03-04", "about 2017", "about 2017-03 to 2018".
    pub fn canonical(&self) -> String {
        match self.through {
            Some(t) => format!("{} to {}", self.from.canonical(), t.canonical()),
            None => self.from.canonical(),
        }
    }

    /// As an indictment says it: "in or about 2017", "from in or about March 2017 through in
    /// or about June 2018", "2026-03-01".
    pub fn describe(&self) -> String {
        match self.through {
            Some(t) => format!("from {} through {}", self.from.describe(), t.describe()),
            None => self.from.describe(),
        }
    }

    /// Reads the stored form back; `date` is the stored earliest day, which an old row holds
    /// alone (an exact day).
    pub fn from_stored(date: Date, form: Option<&str>) -> Result<OffenseDate, String> {
        match form {
            None => Ok(OffenseDate::from(date)),
            Some(text) => {
                let parsed = OffenseDate::parse(text, Date::MAX)?.ok_or_else(|| "an empty date form".to_owned())?;
                if parsed.earliest() != date {
                    return Err(format!("the date form '{text}' does not begin on {date}"));
                }
                Ok(parsed)
            }
        }
    }

    /// What the database keeps beside the earliest day: nothing for an exact day (as every
    /// row written before approximate dates), else the canonical form.
    pub fn stored_form(&self) -> Option<String> {
        (!self.is_exact_day()).then(|| self.canonical())
    }
}

impl fmt::Display for OffenseDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Serialize for OffenseDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.canonical())
    }
}

impl<'de> Deserialize<'de> for OffenseDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        OffenseDate::parse(&text, Date::MAX)
            .map_err(serde::de::Error::custom)?
            .ok_or_else(|| serde::de::Error::custom("an empty offense date"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 03);

    #[test]
    fn amounts_keep_their_bound() {
        let a = Amount::parse("more than $10,000,000").unwrap().unwrap();
        assert_eq!(a, Amount { cents: 1_000_000_000, bound: Bound::MoreThan });
        assert_eq!(a.to_string(), "more than $10,000,000");
        assert_eq!(a.minimum_cents(), 1_000_000_001);
        assert_eq!(Amount::parse(&a.plain()).unwrap(), Some(a));
        let b = Amount::parse("at least 5000.5").unwrap().unwrap();
        assert_eq!(b.to_string(), "at least $5,000.50");
        assert_eq!(Amount::parse("10000000+").unwrap().unwrap().bound, Bound::AtLeast);
        assert_eq!(Amount::parse("$243,000.50").unwrap().unwrap().to_string(), "$243,000.50");
        assert_eq!(Amount::parse("").unwrap(), None);
        assert!(Amount::parse("more than").is_err());
        assert!(Amount::parse("about a million").is_err());
        let total = Amount::sum(&[Amount::exact(100), b, a]).unwrap();
        assert_eq!(total.bound, Bound::MoreThan);
        assert_eq!(total.cents, 100 + 500_050 + 1_000_000_000);
    }

    #[test]
    fn headcounts_parse_plus_and_words() {
        let h = Headcount::parse("80+").unwrap().unwrap();
        assert_eq!((h.count, h.bound, h.minimum()), (80, Bound::AtLeast, 80));
        assert_eq!(h.to_string(), "at least 80");
        assert_eq!(Headcount::parse(&h.plain()).unwrap(), Some(h));
        let m = Headcount::parse("more than 1,000").unwrap().unwrap();
        assert_eq!(m.minimum(), 1001);
        assert_eq!(Headcount::parse(&m.plain()).unwrap(), Some(m));
        assert!(Headcount::parse("0").is_err());
        assert!(Headcount::parse("many").is_err());
    }

    #[test]
    fn periods_say_what_was_recorded() {
        let year = Period::parse("in or about 2017").unwrap();
        assert_eq!((year.earliest(), year.latest()), (date!(2017 - 01 - 01), date!(2017 - 12 - 31)));
        assert_eq!(year.describe(), "in or about 2017");
        assert_eq!(Period::parse(&year.canonical()).unwrap(), year);
        let month = Period::parse("March 2017").unwrap();
        assert_eq!((month.precision, month.about), (DatePrecision::Month, false));
        assert_eq!(month.latest(), date!(2017 - 03 - 31));
        assert_eq!(Period::parse("about 2016-02").unwrap().latest(), date!(2016 - 02 - 29));
        assert_eq!(Period::parse("~2017-03").unwrap().describe(), "in or about March 2017");
        let day = Period::parse("on or about March 4, 2017").unwrap();
        assert_eq!(day.describe(), "on or about March 4, 2017");
        assert_eq!(Period::parse(&day.canonical()).unwrap(), day);
        assert_eq!(Period::parse("2017-03-04").unwrap().describe(), "2017-03-04");
        for bad in ["2017-13", "2017-02-30", "Smarch 2017", "17", "2017-3", "soon"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn offense_dates_take_ranges_and_refuse_the_future() {
        let range = OffenseDate::parse("in or about 2017 through in or about June 2018", TODAY).unwrap().unwrap();
        assert_eq!(range.describe(), "from in or about 2017 through in or about June 2018");
        assert_eq!(range.canonical(), "about 2017 to about 2018-06");
        assert_eq!(OffenseDate::parse(&range.canonical(), TODAY).unwrap(), Some(range));
        assert_eq!(range.earliest(), date!(2017 - 01 - 01));
        assert!(OffenseDate::parse("2019 to 2017", TODAY).is_err());
        assert!(OffenseDate::parse("2027", TODAY).is_err());
        assert!(OffenseDate::parse("1850", TODAY).is_err());
        let exact = OffenseDate::parse("2026-03-01", TODAY).unwrap().unwrap();
        assert_eq!(exact.stored_form(), None);
        assert_eq!(OffenseDate::from_stored(date!(2026 - 03 - 01), None).unwrap(), exact);
        let about = OffenseDate::parse("about 2017", TODAY).unwrap().unwrap();
        assert_eq!(OffenseDate::from_stored(about.earliest(), about.stored_form().as_deref()).unwrap(), about);
        assert!(OffenseDate::from_stored(date!(2018 - 01 - 01), Some("about 2017")).is_err());
    }
}
