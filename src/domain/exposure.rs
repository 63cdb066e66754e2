//! Each defendant's sentencing exposure, count by count: the statutory maximum and minimum,
//! the felony class and what follows from it (fine, supervised release, special assessment),
//! restitution and forfeiture, each with its citation and label from the legal reference
//! (§7.4); and a U.S.S.G. § 2B1.1 estimate from the recorded losses, shown as an estimate
//! (§7.1). Pure: the coverage rows and the catalog are passed in.

use serde::{Deserialize, Serialize};

use super::approx::Amount;
use super::charge::{ChargeCoverage, object_of};
use super::incident::{Victim, format_dollars, headcount};
use super::person::Person;
use crate::statutes::{Law, Maximum, Offense};

/// The felony class of 18 U.S.C. § 3559(a), from the maximum term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FelonyClass {
    A,
    B,
    C,
    D,
    E,
    /// Class A misdemeanor: more than six months, up to one year.
    MisdemeanorA,
}

impl FelonyClass {
    pub fn of(maximum: Maximum) -> FelonyClass {
        match maximum {
            Maximum::Life => FelonyClass::A,
            Maximum::Years(n) if n >= 25 => FelonyClass::B,
            Maximum::Years(n) if n >= 10 => FelonyClass::C,
            Maximum::Years(n) if n >= 5 => FelonyClass::D,
            Maximum::Years(n) if n > 1 => FelonyClass::E,
            Maximum::Years(_) => FelonyClass::MisdemeanorA,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FelonyClass::A => "Class A felony",
            FelonyClass::B => "Class B felony",
            FelonyClass::C => "Class C felony",
            FelonyClass::D => "Class D felony",
            FelonyClass::E => "Class E felony",
            FelonyClass::MisdemeanorA => "Class A misdemeanor",
        }
    }

    /// § 3571(b) for an individual, in cents.
    fn fine_cents(self) -> i64 {
        const DOLLAR: i64 = 100;
        if self == FelonyClass::MisdemeanorA { 100_000 * DOLLAR } else { 250_000 * DOLLAR }
    }

    /// § 3583(b) maximum term of supervised release, in years.
    fn supervised_release_years(self) -> u8 {
        match self {
            FelonyClass::A | FelonyClass::B => 5,
            FelonyClass::C | FelonyClass::D => 3,
            FelonyClass::E | FelonyClass::MisdemeanorA => 1,
        }
    }

    /// § 3013 special assessment for an individual, per count, in cents.
    fn assessment_cents(self) -> i64 {
        if self == FelonyClass::MisdemeanorA { 2_500 } else { 10_000 }
    }
}

/// One count's exposure for one defendant, each figure with its citation and label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountExposure {
    pub count: i32,
    pub citation: String,
    pub prison: String,
    /// A mandatory minimum that runs consecutively (§ 1028A), in years.
    pub consecutive_years: u16,
    pub fine: String,
    pub fine_ceiling_cents: i64,
    pub supervised_release: String,
    pub special_assessment: String,
    pub restitution: String,
    pub forfeiture: Vec<String>,
    pub guideline: String,
}

/// One defendant's exposure across the counts that charge them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefendantExposure {
    pub defendant: String,
    pub counts: Vec<CountExposure>,
    /// The mandatory terms that must run consecutively to any other, summed.
    pub consecutive_years: u16,
    /// The § 2B1.1 estimate, line by line; empty when no count is referenced to § 2B1.1.
    pub guidelines: Vec<String>,
    pub estimated_level: Option<u8>,
}

/// The exposure of each charged defendant, in the order of `people`, over the candidate
/// counts in `rows` (the coverage rows, in the prosecutor's order).
pub fn exposure(law: &Law, rows: &[ChargeCoverage], people: &[Person], victims: &[Victim]) -> Vec<DefendantExposure> {
    people
        .iter()
        .filter_map(|person| {
            let mine: Vec<&ChargeCoverage> = rows.iter().filter(|r| r.charge.defendants.contains(&person.id)).collect();
            if mine.is_empty() {
                return None;
            }
            let counts: Vec<CountExposure> = mine.iter().map(|row| count_exposure(law, row, victims)).collect();
            let consecutive_years = counts.iter().map(|c| c.consecutive_years).sum();
            let (guidelines, estimated_level) = guideline_estimate(law, &mine, victims);
            Some(DefendantExposure {
                defendant: person.document_name(),
                counts,
                consecutive_years,
                guidelines,
                estimated_level,
            })
        })
        .collect()
}

fn count_exposure(law: &Law, row: &ChargeCoverage, victims: &[Victim]) -> CountExposure {
    let charge = &row.charge;
    let offense = law.offense(&charge.offense_id);
    let object = offense.and_then(|o| object_of(law, o, charge));
    let class = FelonyClass::of(row.maximum);
    let pleaded: Vec<&str> = charge.penalty_facts.iter().map(String::as_str).collect();
    let prison = match (row.minimum_years, row.consecutive) {
        (0, _) => format!("Up to {} [STAT]", row.maximum),
        (n, true) => format!("{} (mandatory {n} years, consecutive to any other term) [STAT]", row.maximum),
        (n, false) => format!("Up to {}, mandatory minimum {n} years [STAT]", row.maximum),
    };
    let consecutive_years = if row.consecutive { row.minimum_years } else { 0 };
    let Some(offense) = offense.filter(|o| o.provenance.is_none() && object.is_none_or(|o| o.provenance.is_none()))
    else {
        // An out-of-catalog count: only its entered maximum is known.
        let not_assessed = "Not assessed: out of the catalog".to_owned();
        return CountExposure {
            count: charge.count,
            citation: row.citation.clone(),
            prison: format!("Up to {} (as entered; not from the catalog)", row.maximum),
            consecutive_years,
            fine: not_assessed.clone(),
            fine_ceiling_cents: 0,
            supervised_release: not_assessed.clone(),
            special_assessment: not_assessed.clone(),
            restitution: not_assessed.clone(),
            forfeiture: vec![not_assessed],
            guideline: "Not in the catalog: find it in the Guidelines' Statutory Index".into(),
        };
    };

    // § 3571: the greatest of the class amount, the statute's own, and twice the gain or loss.
    let class_cents = class.fine_cents();
    let statute_cents = offense
        .penalty_facts
        .iter()
        .chain(object.into_iter().flat_map(|o| o.penalty_facts.iter()))
        .filter(|p| pleaded.contains(&p.id.as_str()))
        .filter_map(|p| p.raises_fine_dollars)
        .max()
        .and_then(|d| i64::try_from(d).ok())
        .map(|d| d * 100);
    // The larger of gain and loss by the least each can be; a lower bound stays one.
    let alternative = match (charge.gain, charge.loss) {
        (Some(g), Some(l)) if l.minimum_cents() > g.minimum_cents() => Some(("gross loss", l)),
        (Some(g), _) => Some(("gross gain", g)),
        (None, Some(l)) => Some(("gross loss", l)),
        (None, None) => None,
    };
    let twice = alternative.map(|(_, a)| a.doubled());
    let ceiling =
        [Some(class_cents), statute_cents, twice.map(|t| t.cents)].into_iter().flatten().max().unwrap_or(class_cents);
    // Twice a lower bound is itself a lower bound: the ceiling is then "more than" or "at least".
    let ceiling_text = match twice {
        Some(t) if t.cents == ceiling => t.with_cents(),
        _ => format_dollars(ceiling),
    };
    let mut parts = vec![format!("{} (§ 3571(b), {})", format_dollars(class_cents), class.label().to_lowercase())];
    if let Some(c) = statute_cents {
        parts.push(format!("{} (the statute's own tier, pleaded)", format_dollars(c)));
    }
    if let (Some((basis, amount)), Some(t)) = (alternative, twice) {
        parts.push(format!("{} (§ 3571(d): twice the {basis} of {})", t.with_cents(), amount.with_cents()));
    }
    let mut fine = format!("Up to {ceiling_text}: the greatest of {} [STAT]", parts.join(", "));
    if alternative.is_some() {
        fine.push_str(
            "; a gain or loss that raises the maximum must be found by the jury or admitted (Southern Union) [SRC]",
        );
    }

    let supervised_release = if offense.is_listed(&pleaded) {
        "Any term of years or life (§ 3583(j): an offense on the § 2332b(g)(5)(B) list) [STAT]".to_owned()
    } else {
        format!(
            "Up to {} year(s) (§ 3583(b), {}) [STAT]",
            class.supervised_release_years(),
            class.label().to_lowercase()
        )
    };
    let special_assessment = format!(
        "{} (§ 3013, per count of conviction) [STAT; per-count reading ANALYSIS]",
        format_dollars(class.assessment_cents())
    );

    let loss_recorded = victims.iter().any(|v| v.loss.is_some_and(|l| l.minimum_cents() > 0))
        || charge.loss.is_some_and(|l| l.minimum_cents() > 0);
    let mandatory = offense.restitution_mandatory || object.is_some_and(|o| o.restitution_mandatory);
    let mut restitution = match (mandatory, loss_recorded) {
        (true, true) => "Mandatory (§ 3663A(c)(1)(A)(ii): an offense committed by fraud or deceit, with an identifiable victim's pecuniary loss recorded) [STAT]".to_owned(),
        (true, false) => "Mandatory under § 3663A once an identifiable victim's pecuniary loss is shown; none is recorded yet [STAT]".to_owned(),
        (false, _) => "Whether § 3663A makes it mandatory (an \u{201c}offense against property\u{201d}) is [UNVERIFIED]: check; otherwise discretionary under § 3663".to_owned(),
    };
    if ["ID-A7", "AGG-ID", "AGG-ID-A2"].contains(&offense.id.as_str()) {
        restitution.push_str(
            "; § 3663(b)(6): the court may order payment for the victim's time spent remediating the harm [STAT]",
        );
    }
    let mut forfeiture = offense.forfeiture.clone();
    if charge.affects_financial_institution
        && let Some(fi) = &offense.forfeiture_if_fi
    {
        forfeiture.push(fi.clone());
    }
    if forfeiture.is_empty() {
        forfeiture.push("No forfeiture provision is recorded in the catalog for this offense".into());
    }
    let guideline = if offense.consecutive {
        format!(
            "U.S.S.G. § 2B1.6: the guideline sentence is the term § 1028A requires ({} years, consecutive); Chapters 3 and 4 do not apply to this count [SRC]",
            row.minimum_years
        )
    } else {
        object
            .map(|o| format!("{} (object: {})", offense.guideline, o.guideline))
            .unwrap_or_else(|| offense.guideline.clone())
    };
    CountExposure {
        count: charge.count,
        citation: row.citation.clone(),
        prison,
        consecutive_years,
        fine,
        fine_ceiling_cents: ceiling,
        supervised_release,
        special_assessment,
        restitution,
        forfeiture,
        guideline,
    }
}

/// Whether the count's offense (or its object's) is referenced to § 2B1.1.
fn under_2b1_1(offense: &Offense, object: Option<&Offense>) -> bool {
    offense.guideline.contains("§2B1.1") || object.is_some_and(|o| o.guideline.contains("§2B1.1"))
}

/// Whether Custos estimates a § 2B1.1 level for the count: a catalog offense (and object)
/// referenced to § 2B1.1. Out of the catalog, no estimate is made.
fn estimable(law: &Law, row: &ChargeCoverage) -> bool {
    law.offense(&row.charge.offense_id).filter(|o| o.provenance.is_none()).is_some_and(|offense| {
        let object = object_of(law, offense, &row.charge);
        object.is_none_or(|o| o.provenance.is_none()) && under_2b1_1(offense, object)
    })
}

/// § 2B1.1(a): 7 for an offense with a statutory maximum of 20 years or more, else 6.
fn base_level(maximum: Maximum) -> u8 {
    if maximum >= Maximum::Years(20) { 7 } else { 6 }
}

/// The victims' recorded losses, summed with their bounds.
fn recorded_loss(victims: &[Victim]) -> Option<Amount> {
    Amount::sum(victims.iter().filter_map(|v| v.loss.as_ref()))
}

/// Whole dollars for the loss table, rounded up: the table's thresholds are "more than $X",
/// and $6,500.50 is more than $6,500.
fn table_dollars(amount: Option<Amount>) -> u64 {
    u64::try_from(amount.map_or(0, |a| a.minimum_cents())).unwrap_or(0).div_ceil(100)
}

/// § 2B1.1(b)(2)(A)(i): +2 for 10 or more victims.
fn victim_increase(victims: &[Victim]) -> u8 {
    if headcount(victims).count >= 10 { 2 } else { 0 }
}

/// The § 2B1.1 offense level estimated for one count, alone: base (7 with a maximum of 20 years
/// or more, else 6), the loss-table increase for the larger of the victims' recorded losses and
/// the count's pleaded loss, and +2 for 10 or more victims. `None` when the count is not
/// referenced to § 2B1.1 (or is out of the catalog): no estimate is made.
pub fn count_level(law: &Law, row: &ChargeCoverage, victims: &[Victim]) -> Option<u8> {
    let table = law.catalog.guidelines.as_ref().filter(|_| estimable(law, row))?;
    let loss = table_dollars(recorded_loss(victims)).max(table_dollars(row.charge.loss));
    Some(base_level(row.maximum) + table.loss_increase(loss) + victim_increase(victims))
}

/// The § 2B1.1 estimate for one defendant: base level, the loss-table increase and the
/// victim-count increase, as the reference states them; an estimate, labelled so.
fn guideline_estimate(law: &Law, mine: &[&ChargeCoverage], victims: &[Victim]) -> (Vec<String>, Option<u8>) {
    let Some(table) = law.catalog.guidelines.as_ref() else { return (Vec::new(), None) };
    let referenced: Vec<&ChargeCoverage> = mine.iter().copied().filter(|r| estimable(law, r)).collect();
    if referenced.is_empty() {
        return (Vec::new(), None);
    }
    let mut lines = Vec::new();
    let twenty = referenced.iter().find(|r| base_level(r.maximum) == 7);
    let base: u8 = match twenty {
        Some(r) => {
            lines.push(format!(
                "Base offense level 7 (§ 2B1.1(a)(1): an offense referenced to § 2B1.1 with a statutory maximum of 20 years or more, Count {}) [SRC; later wording UNVERIFIED]",
                r.charge.count
            ));
            7
        }
        None => {
            lines.push("Base offense level 6 (§ 2B1.1(a)(2): no count referenced to § 2B1.1 carries 20 years or more) [SRC; later wording UNVERIFIED]".into());
            6
        }
    };
    let recorded = recorded_loss(victims);
    let pleaded = referenced.iter().filter_map(|r| r.charge.loss).max_by_key(Amount::minimum_cents);
    let (loss, basis) = if table_dollars(recorded) >= table_dollars(pleaded) {
        (recorded, "the victims' recorded losses")
    } else {
        (pleaded, "the largest loss pleaded on this defendant's counts")
    };
    let loss_add = if let Some(loss) = loss.filter(|l| l.minimum_cents() > 0) {
        let add = table.loss_increase(table_dollars(Some(loss)));
        // A loss known only as a lower bound gives a lower bound on the increase.
        let or_more = if loss.is_exact() { "" } else { " or more" };
        lines.push(format!(
            "+{add}{or_more} for a loss of {} ({basis}), from the table of {} [{}]. {}",
            loss.with_cents(),
            table.loss_table_edition,
            table.loss_table_label.as_str(),
            table.loss_table_note
        ));
        add
    } else {
        lines.push("No loss recorded: the loss increase is not estimated. Gain is used only if a loss exists but cannot reasonably be determined [SRC].".into());
        0
    };
    let victim_add = victim_increase(victims);
    if victim_add > 0 {
        lines.push(format!("+2 (§ 2B1.1(b)(2)(A)(i): {} victims recorded, 10 or more) [SRC]", headcount(victims)));
    } else {
        lines.push(format!(
            "+0 for the number of victims: {} recorded; the substantial-hardship branches of § 2B1.1(b)(2) (+2, +4, +6) turn on facts Custos does not record [SRC]",
            headcount(victims)
        ));
    }
    if referenced.iter().any(|r| law.offense(&r.charge.offense_id).is_some_and(|o| o.same_as_object)) {
        lines.push("§ 2X1.1: 3 levels less for a conspiracy or attempt unless all acts were completed or about to be; not applied here [SRC 2005 text; current wording UNVERIFIED]".into());
    }
    let level = base + loss_add + victim_add;
    lines.push(format!(
        "Estimated offense level {level}, before other specific offense characteristics, Chapter 3 adjustments and grouping: an estimate for charging, not a guideline calculation [ANALYSIS]; verify."
    ));
    (lines, Some(level))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::charge::{Charge, coverage};
    use crate::domain::ids::PersonId;
    use crate::domain::incident::VictimKind;
    use crate::domain::person::PersonRole;
    use time::macros::date;

    fn count(n: i32, offense: &str, object: Option<&str>, facts: &[&str], who: PersonId) -> Charge {
        Charge {
            object_offense_id: object.map(Into::into),
            offense_date: Some(date!(2025 - 06 - 01).into()),
            penalty_facts: facts.iter().map(|f| f.to_string()).collect(),
            defendants: vec![who],
            ..crate::domain::charge::sample_charge(n, offense)
        }
    }

    /// The case: § 1349 (object § 1343, $10.2M gain), § 1028A, and § 1030(b) to violate
    /// (a)(5)(A) with a $3M loss.
    #[test]
    fn a_defendants_exposure_count_by_count_with_a_guideline_estimate() {
        let law = Law::catalog_only(crate::statutes::catalog().unwrap());
        let who = PersonId::new();
        let mut wire = count(1, "WIRE-1349", Some("WIRE"), &[], who);
        wire.gain = Some(Amount::exact(10_200_000 * 100));
        let agg = count(2, "AGG-ID", None, &[], who);
        let mut damage = count(3, "CFAA-B", Some("CFAA-A5A"), &["CFAA-A5A-P1"], who);
        damage.loss = Some(Amount::exact(3_000_000 * 100));
        let rows = coverage(&law, &[wire, agg, damage], &[], &|_| true, &[], date!(2026 - 06 - 01));
        let people = vec![Person {
            id: who,
            name: "Carla Brandt".into(),
            role: PersonRole::Defendant,
            placeholder: None,
            aliases: Vec::new(),
        }];
        let victims = vec![Victim {
            name: "Employers".into(),
            kind: VictimKind::Business,
            loss: Some(Amount::exact(3_000_000 * 100)),
            gain: None,
            class_size: None,
            notes: String::new(),
        }];
        let all = exposure(&law, &rows, &people, &victims);
        let carla = &all[0];
        assert_eq!(carla.defendant, "Carla Brandt");
        let prison: Vec<&str> = carla.counts.iter().map(|c| c.prison.as_str()).collect();
        assert!(prison[0].starts_with("Up to 20 years"), "{prison:?}");
        assert!(prison[1].contains("mandatory 2 years, consecutive"), "{prison:?}");
        assert!(prison[2].starts_with("Up to 10 years"), "(b) to violate (a)(5)(A) with a harm: {prison:?}");
        assert_eq!(carla.consecutive_years, 2);
        assert_eq!(carla.counts[0].fine_ceiling_cents, 20_400_000 * 100, "twice the gain");
        assert!(carla.counts[0].fine.contains("twice the gross gain of $10,200,000.00"));
        assert_eq!(carla.counts[2].fine_ceiling_cents, 6_000_000 * 100, "twice the loss");
        assert!(carla.counts[0].restitution.starts_with("Mandatory (§ 3663A"), "{}", carla.counts[0].restitution);
        assert!(carla.counts[2].restitution.contains("[UNVERIFIED]"), "§ 1030: flagged, not assumed");
        assert!(carla.counts[1].forfeiture[0].contains("no forfeiture provision of its own"));
        assert!(carla.counts[2].forfeiture.iter().any(|f| f.contains("§ 1030(i)")));
        assert!(carla.counts[0].supervised_release.contains("Up to 3 year(s)"), "Class C");
        assert!(carla.counts[1].guideline.contains("§ 2B1.6"));
        // § 2B1.1: base 7 (a 20-year count), +16 for $3M (more than $1.5M), no victim increase.
        assert_eq!(carla.estimated_level, Some(23));
        assert!(
            carla.guidelines.iter().any(|l| l.starts_with("+16 for a loss of $3,000,000.00")),
            "{:?}",
            carla.guidelines
        );
        assert!(carla.guidelines.last().unwrap().contains("verify"));
        // A defendant no count charges has no exposure listed.
        let other = Person { id: PersonId::new(), ..people[0].clone() };
        assert_eq!(exposure(&law, &rows, &[other], &victims).len(), 0);
    }

    #[test]
    fn felony_classes_follow_the_maximum() {
        assert_eq!(FelonyClass::of(Maximum::Life), FelonyClass::A);
        assert_eq!(FelonyClass::of(Maximum::Years(30)), FelonyClass::B);
        assert_eq!(FelonyClass::of(Maximum::Years(20)), FelonyClass::C);
        assert_eq!(FelonyClass::of(Maximum::Years(5)), FelonyClass::D);
        assert_eq!(FelonyClass::of(Maximum::Years(2)), FelonyClass::E);
        assert_eq!(FelonyClass::of(Maximum::Years(1)), FelonyClass::MisdemeanorA);
    }

    /// "More than $10,000,000" of loss gives a fine ceiling of more than twice it, and a loss
    /// increase that is a floor; a class of 80+ victims counts for the +2.
    #[test]
    fn lower_bounds_stay_lower_bounds() {
        let law = Law::catalog_only(crate::statutes::catalog().unwrap());
        let who = PersonId::new();
        let mut wire = count(1, "WIRE", None, &[], who);
        wire.loss = Some(Amount { cents: 10_000_000 * 100, bound: crate::domain::approx::Bound::MoreThan });
        let rows = coverage(&law, &[wire], &[], &|_| true, &[], date!(2026 - 06 - 01));
        let people = vec![Person {
            id: who,
            name: "D".into(),
            role: PersonRole::Defendant,
            placeholder: None,
            aliases: Vec::new(),
        }];
        let victims = vec![Victim {
            name: "Identity-theft victims".into(),
            kind: VictimKind::Individual,
            loss: Some(Amount { cents: 400_000 * 100, bound: crate::domain::approx::Bound::AtLeast }),
            gain: None,
            class_size: Some(crate::domain::approx::Headcount {
                count: 80,
                bound: crate::domain::approx::Bound::AtLeast,
            }),
            notes: String::new(),
        }];
        let all = exposure(&law, &rows, &people, &victims);
        let fine = &all[0].counts[0].fine;
        assert!(fine.starts_with("Up to more than $20,000,000.00"), "{fine}");
        assert!(fine.contains("twice the gross loss of more than $10,000,000.00"), "{fine}");
        let lines = all[0].guidelines.join("\n");
        assert!(lines.contains("or more for a loss of more than $10,000,000.00 (the largest loss pleaded"), "{lines}");
        assert!(lines.contains("+2 (§ 2B1.1(b)(2)(A)(i): at least 80 victims recorded"), "{lines}");
    }
}
