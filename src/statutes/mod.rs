//! The statute catalog: offenses, their elements and the penalty facts that raise the maximum,
//! compiled into the binary from `fixtures/statutes/catalog.toml`. A leaf module (no HTTP, no
//! database): it parses and validates the data file and answers questions about it
//! (maximums, limitation periods, suggestions).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::LazyLock;
use time::{Date, Month};

const CATALOG_TOML: &str = include_str!("../../fixtures/statutes/catalog.toml");

/// How far a point was checked during research. Shown beside every element so that nobody
/// passes an unverified point off as settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Label {
    /// Checked against the U.S. Code text.
    Stat,
    /// Checked against the named official or secondary source.
    Src,
    /// Worked out from a verified pattern; not seen.
    Inferred,
    /// Not confirmed: verify before relying.
    Unverified,
    /// Research reasoning on an AI fact pattern; no case has decided it.
    Analysis,
    /// Typed in by a prosecutor for an out-of-catalog ("other statute") count: not from the
    /// built-in catalog, which may never use this label.
    Entered,
}

impl Label {
    pub fn as_str(&self) -> &'static str {
        match self {
            Label::Stat => "STAT",
            Label::Src => "SRC",
            Label::Inferred => "INFERRED",
            Label::Unverified => "UNVERIFIED",
            Label::Analysis => "ANALYSIS",
            Label::Entered => "ENTERED",
        }
    }

    pub fn meaning(&self) -> &'static str {
        match self {
            Label::Stat => "Checked against the U.S. Code text",
            Label::Src => "Checked against the named source",
            Label::Inferred => "Inferred from a verified pattern: verify before relying",
            Label::Unverified => "Not verified: verify before relying",
            Label::Analysis => "Untested analysis: verify before relying",
            Label::Entered => "Entered by a user, not from the built-in catalog: verify before relying",
        }
    }

    /// Whether the point must be checked by a prosecutor before anyone relies on it.
    pub fn verify_before_relying(&self) -> bool {
        !matches!(self, Label::Stat | Label::Src)
    }
}

/// Which limitation rule applies (reference §1.1): 18 U.S.C. § 3282(a) (five years); for wire
/// fraud and its conspiracy (not attempt) § 3293(2) as well (ten years when "affects a financial
/// institution" is pleaded); for offenses on the § 2332b(g)(5)(B) list § 3286 (eight years, or
/// none where death or serious bodily injury resulted or was risked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitationRule {
    #[default]
    General,
    Wire,
    ListedTerrorism,
    /// An out-of-catalog count: Custos holds no limitation rule for it and computes none.
    NotInCatalog,
}

/// Whether a row of an offense is an element the government must always prove or a penalty
/// fact that raises the maximum when pleaded and proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    Element,
    PenaltyFact,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Element {
    pub id: String,
    pub text: String,
    pub label: Label,
    pub sources: Vec<String>,
    #[serde(default)]
    pub evidence: Vec<String>,
    /// An element proved only in some fact patterns (e.g. the $5,000 computer-use value in
    /// 1030(a)(4)); a gap in it does not by itself stop the charge being readily provable.
    #[serde(default)]
    pub optional: bool,
    /// An optional element that becomes required when the count pleads this theory (§ 1030(a)(4)'s
    /// "compute-use-only theory": the $5,000 use value). The count pleads it by the element's id.
    #[serde(default)]
    pub theory: Option<String>,
    #[serde(default)]
    pub raises_max_years: Option<u16>,
    #[serde(default)]
    pub raises_min_years: Option<u16>,
    #[serde(default)]
    pub raises_to_life: bool,
    /// A statute's own fine for this tier (§ 1343's $1,000,000), in dollars.
    #[serde(default)]
    pub raises_fine_dollars: Option<u64>,
    #[serde(skip_deserializing, default = "element_kind_default")]
    pub kind: ElementKind,
}

fn element_kind_default() -> ElementKind {
    ElementKind::Element
}

impl Element {
    /// SHA-256 of the element's text and label: a review records it, and a catalog release
    /// that changes the element sends the mapping back to review.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.id.as_bytes());
        hasher.update([0]);
        hasher.update(self.text.as_bytes());
        hasher.update([0]);
        hasher.update(self.label.as_str().as_bytes());
        hex::encode(hasher.finalize())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Offense {
    pub id: String,
    pub statute: String,
    pub subsection: String,
    pub title: String,
    /// What one count is: each wire, each intrusion, each means of identification.
    pub unit: String,
    pub max_years: u16,
    #[serde(default)]
    pub min_years: u16,
    #[serde(default)]
    pub repeat_max_years: Option<u16>,
    /// 1028A: the term runs consecutively to the predicate's.
    #[serde(default)]
    pub consecutive: bool,
    /// Conspiracy and attempt under 1030(b): the maximum is the object offense's.
    #[serde(default)]
    pub same_as_object: bool,
    #[serde(default)]
    pub objects: Vec<String>,
    #[serde(default)]
    pub limitation: LimitationRule,
    /// `listed_terrorism`: the penalty facts that put a count on the § 2332b(g)(5)(B) list
    /// (empty: always listed, as § 1030(a)(1) is).
    #[serde(default)]
    pub listed_if: Vec<String>,
    /// `listed_terrorism`: the penalty facts (death, serious bodily injury) that lift the limit.
    #[serde(default)]
    pub unlimited_if: Vec<String>,
    pub guideline: String,
    pub sources: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Keys of the defenses a memo should address (see `defense_prompt`).
    #[serde(default)]
    pub defenses: Vec<String>,
    /// § 1028A: the catalog offenses a count of this offense may name as its predicate (those
    /// § 1028A(c) enumerates), each only as a felony.
    #[serde(default)]
    pub predicates: Vec<String>,
    /// § 1028A(a)(2): a predicate must be on the § 2332b(g)(5)(B) list, so an offense listed only
    /// with certain penalty facts (`listed_if`) qualifies only with one of them pleaded.
    #[serde(default)]
    pub predicates_must_be_listed: bool,
    /// Predicates that are excluded even though their provision is listed, with why.
    #[serde(default)]
    pub predicate_notes: Vec<String>,
    /// The forfeiture provisions that apply on conviction, each with its label (reference §7.4).
    #[serde(default)]
    pub forfeiture: Vec<String>,
    /// A further provision when "affects a financial institution" is pleaded (§ 982(a)(2)(A)).
    #[serde(default)]
    pub forfeiture_if_fi: Option<String>,
    /// § 3663A: an offense "committed by fraud or deceit"; for the others the reference leaves
    /// coverage as an "offense against property" unverified.
    #[serde(default)]
    pub restitution_mandatory: bool,
    /// Citations of out-of-catalog offenses that may be this conspiracy's or attempt's object
    /// (§ 1349: any chapter 63 offense, such as § 1341 or § 1344), matched by `falls_under`.
    #[serde(default)]
    pub other_objects: Vec<String>,
    /// § 1028A: citations of provisions outside the catalog that § 1028A(c) names, so that an
    /// out-of-catalog count under one of them can be the predicate (as a felony only).
    #[serde(default)]
    pub predicate_citations: Vec<String>,
    /// An out-of-catalog offense: the maximum entered is life.
    #[serde(skip)]
    pub max_life: bool,
    /// An out-of-catalog offense: who entered it and when ("entered by ... on ...; not from
    /// the built-in catalog"). `None` for the catalog's own offenses.
    #[serde(skip)]
    pub provenance: Option<String>,
    #[serde(rename = "element", default)]
    pub elements: Vec<Element>,
    #[serde(rename = "penalty_fact", default)]
    pub penalty_facts: Vec<Element>,
}

/// A statutory maximum term of imprisonment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Maximum {
    Years(u16),
    Life,
}

impl std::fmt::Display for Maximum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Maximum::Years(1) => f.write_str("1 year"),
            Maximum::Years(n) => write!(f, "{n} years"),
            Maximum::Life => f.write_str("life"),
        }
    }
}

impl Offense {
    /// Citation as a prosecutor writes it: `18 U.S.C. § 1030(a)(2)`.
    pub fn citation(&self) -> String {
        if self.subsection.starts_with('(') {
            format!("{}{}", self.statute, self.subsection)
        } else if self.subsection.is_empty() {
            self.statute.clone()
        } else {
            format!("{} ({})", self.statute, self.subsection)
        }
    }

    /// Whether a count of this offense pleading `pleaded` is on the § 2332b(g)(5)(B) list
    /// (§ 3286's limitation periods, § 3583(j)'s supervised release).
    pub fn is_listed(&self, pleaded: &[&str]) -> bool {
        self.limitation == LimitationRule::ListedTerrorism
            && (self.listed_if.is_empty() || self.listed_if.iter().any(|id| pleaded.contains(&id.as_str())))
    }

    /// The limitation rule in words, for the catalog pages.
    pub fn limitation_text(&self) -> String {
        match self.limitation {
            LimitationRule::General => "5 years (18 U.S.C. § 3282(a)), from the count's own offense date".into(),
            LimitationRule::Wire => format!(
                "5 years (18 U.S.C. § 3282(a)); 10 years when \"affects a financial institution\" is pleaded on the count (§ 3293(2)). {AFFECTS_NOTE}"
            ),
            LimitationRule::ListedTerrorism if self.listed_if.is_empty() => {
                "8 years (18 U.S.C. § 3286(a)): on the § 2332b(g)(5)(B) list".into()
            }
            LimitationRule::ListedTerrorism => format!(
                "5 years (18 U.S.C. § 3282(a)); 8 years (§ 3286(a)) with {} pleaded; no limit (§ 3286(b)) with {} as well",
                self.listed_if.join(" or "),
                self.unlimited_if.join(" or ")
            ),
            LimitationRule::NotInCatalog => "Not computed: out of the catalog".into(),
        }
    }

    /// Elements, then penalty facts.
    pub fn rows(&self) -> impl Iterator<Item = &Element> {
        self.elements.iter().chain(self.penalty_facts.iter())
    }

    pub fn element(&self, id: &str) -> Option<&Element> {
        self.rows().find(|e| e.id == id)
    }

    /// The maximum when the given penalty facts are pleaded (and proved).
    pub fn maximum_with<'a>(&self, penalty_facts: impl IntoIterator<Item = &'a str>) -> Maximum {
        let mut maximum = if self.max_life { Maximum::Life } else { Maximum::Years(self.max_years) };
        for id in penalty_facts {
            if let Some(fact) = self.penalty_facts.iter().find(|p| p.id == id) {
                let raised = if fact.raises_to_life {
                    Maximum::Life
                } else {
                    Maximum::Years(fact.raises_max_years.unwrap_or(self.max_years))
                };
                maximum = maximum.max(raised);
            }
        }
        maximum
    }

    /// The mandatory minimum in years when the given penalty facts are pleaded.
    pub fn minimum_with<'a>(&self, penalty_facts: impl IntoIterator<Item = &'a str>) -> u16 {
        penalty_facts
            .into_iter()
            .filter_map(|id| self.penalty_facts.iter().find(|p| p.id == id))
            .filter_map(|p| p.raises_min_years)
            .fold(self.min_years, u16::max)
    }
}

/// Which elements an exhibit of a kind, or with a tag, usually supports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Suggestion {
    pub evidence: String,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub elements: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalog {
    pub version: String,
    pub dated: String,
    pub statute_text_as_of: String,
    pub notice: String,
    #[serde(rename = "offense")]
    pub offenses: Vec<Offense>,
    #[serde(rename = "suggestion", default)]
    pub suggestions: Vec<Suggestion>,
    /// Statutes often charged alongside these, outside the catalog (the reference's §5A):
    /// offered as a starting point for an "other statute" count, never as built-in elements.
    #[serde(rename = "related", default)]
    pub related: Vec<Related>,
    /// The circuits and their districts (reference §9A), with each circuit's pattern criminal
    /// jury instructions.
    #[serde(rename = "circuit", default)]
    pub circuits: Vec<Circuit>,
    #[serde(default)]
    pub guidelines: Option<Guidelines>,
}

/// The U.S.S.G. § 2B1.1(b)(1) loss table, with its edition and label.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Guidelines {
    pub loss_table_edition: String,
    pub loss_table_label: Label,
    pub loss_table_note: String,
    /// ("more than" dollars, levels added), ascending.
    pub loss_table: Vec<(u64, u8)>,
}

impl Guidelines {
    /// The levels § 2B1.1(b)(1) adds for a loss of `dollars`.
    pub fn loss_increase(&self, dollars: u64) -> u8 {
        self.loss_table
            .iter()
            .take_while(|(more_than, _)| dollars > *more_than)
            .last()
            .map(|(_, add)| *add)
            .unwrap_or(0)
    }
}

/// A federal judicial district.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct District {
    /// "D. Mass.", "S.D.N.Y.": the form Custos stores.
    pub abbr: String,
    pub name: String,
}

/// A circuit, its districts and the pattern criminal jury instructions published for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Circuit {
    pub short: String,
    pub name: String,
    /// Empty where the circuit publishes no set.
    pub instructions: String,
    pub label: Label,
    pub note: String,
    pub districts: Vec<District>,
}

impl Circuit {
    /// Which pattern instructions a case in this circuit checks, with the label.
    pub fn instructions_text(&self) -> String {
        let note = if self.note.is_empty() { String::new() } else { format!(" {}", self.note) };
        if self.instructions.is_empty() {
            format!("No {} pattern instruction; check district practice and circuit case law.{note}", self.name)
        } else {
            format!("{} [{}].{note}", self.instructions, self.label.as_str())
        }
    }
}

/// A district name reduced for comparison: "S.D.N.Y." and "sdny" are the same.
fn district_key(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// A statute outside the catalog, as the reference lists it: citation, title and maximum,
/// with its label. Custos suggests it; the prosecutor enters the count and its elements.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Related {
    pub citation: String,
    pub title: String,
    /// The maximum as the reference states it ("20 years; $1,000,000").
    pub maximum: String,
    /// The single maximum term to offer on the form, where the reference gives one.
    #[serde(default)]
    pub max_years: Option<u16>,
    #[serde(default)]
    pub notes: String,
    pub label: Label,
    pub sources: Vec<String>,
}

/// A citation reduced for comparison: "18 U.S.C. § 1029(a)(2)" -> "18usc1029(a)(2)".
pub fn citation_key(citation: &str) -> String {
    citation.chars().filter(|c| c.is_alphanumeric() || matches!(c, '(' | ')')).flat_map(char::to_lowercase).collect()
}

/// Whether `citation` is `provision` or a subsection of it: "18 U.S.C. § 1029(a)(2)" falls
/// under "18 U.S.C. § 1029", "18 U.S.C. § 10291" does not.
pub fn falls_under(citation: &str, provision: &str) -> bool {
    let (c, p) = (citation_key(citation), citation_key(provision));
    !p.is_empty() && (c == p || c.strip_prefix(&p).is_some_and(|rest| rest.starts_with('(')))
}

/// The offenses one incident may charge: the catalog's, and the incident's out-of-catalog
/// ("other statute") offenses, whose ids begin `OTHER-` and never collide with the catalog's.
pub struct Law<'a> {
    pub catalog: &'a Catalog,
    pub others: Vec<Offense>,
}

/// The prefix of out-of-catalog offense ids ("OTHER-1") and of their elements ("OTHER-1-E2").
pub const OTHER_PREFIX: &str = "OTHER-";

impl<'a> Law<'a> {
    pub fn new(catalog: &'a Catalog, others: Vec<Offense>) -> Law<'a> {
        Law { catalog, others }
    }

    /// The catalog alone, for places that know no incident.
    pub fn catalog_only(catalog: &'a Catalog) -> Law<'a> {
        Law { catalog, others: Vec::new() }
    }

    pub fn offense(&self, id: &str) -> Option<&Offense> {
        if id.starts_with(OTHER_PREFIX) { self.others.iter().find(|o| o.id == id) } else { self.catalog.offense(id) }
    }

    pub fn element(&self, id: &str) -> Option<(&Offense, &Element)> {
        if id.starts_with(OTHER_PREFIX) {
            self.others.iter().find_map(|o| o.element(id).map(|e| (o, e)))
        } else {
            self.catalog.element(id)
        }
    }
}

/// A suggested element for an exhibit, with the evidence type that prompted it.
#[derive(Debug, Clone, Serialize)]
pub struct SuggestedElement<'a> {
    pub offense: &'a Offense,
    pub element: &'a Element,
    pub because: &'a str,
}

impl Catalog {
    pub fn offense(&self, id: &str) -> Option<&Offense> {
        self.offenses.iter().find(|o| o.id == id)
    }

    /// The offense an element or penalty fact belongs to, and the element.
    pub fn element(&self, id: &str) -> Option<(&Offense, &Element)> {
        self.offenses.iter().find_map(|o| o.element(id).map(|e| (o, e)))
    }

    /// The district `text` names, by abbreviation or full name ("S.D.N.Y.", "sdny", "Southern
    /// District of New York"), with its circuit; `None` if it names none of the 94.
    pub fn district(&self, text: &str) -> Option<(&Circuit, &District)> {
        let key = district_key(text);
        if key.is_empty() {
            return None;
        }
        self.circuits.iter().find_map(|c| {
            c.districts.iter().find(|d| district_key(&d.abbr) == key || district_key(&d.name) == key).map(|d| (c, d))
        })
    }

    /// Elements an exhibit of this kind with these tags usually supports, limited to the
    /// offenses in `offenses` when given; each element once, in catalog order of the table.
    pub fn suggestions_for<'a>(
        &'a self,
        kind: &str,
        tags: &[String],
        offenses: Option<&[&str]>,
    ) -> Vec<SuggestedElement<'a>> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for suggestion in &self.suggestions {
            let by_kind = suggestion.kinds.iter().any(|k| k == kind);
            let by_tag = suggestion.tags.iter().any(|t| tags.iter().any(|have| have.eq_ignore_ascii_case(t)));
            if !by_kind && !by_tag {
                continue;
            }
            for id in &suggestion.elements {
                let Some((offense, element)) = self.element(id) else { continue };
                if offenses.is_some_and(|wanted| !wanted.contains(&offense.id.as_str())) {
                    continue;
                }
                if seen.insert(id.as_str()) {
                    out.push(SuggestedElement { offense, element, because: &suggestion.evidence });
                }
            }
        }
        out
    }

    /// Parses and checks the data file.
    pub fn parse(text: &str) -> Result<Catalog, String> {
        let mut catalog: Catalog = toml::from_str(text).map_err(|e| format!("statute catalog: {e}"))?;
        for offense in &mut catalog.offenses {
            for fact in &mut offense.penalty_facts {
                fact.kind = ElementKind::PenaltyFact;
            }
        }
        catalog.validate()?;
        Ok(catalog)
    }

    fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let mut ids = HashSet::new();
        for offense in &self.offenses {
            if !ids.insert(offense.id.as_str()) {
                problems.push(format!("duplicate id {}", offense.id));
            }
            if offense.sources.is_empty() {
                problems.push(format!("{} has no source", offense.id));
            }
            if offense.elements.is_empty() {
                problems.push(format!("{} has no elements", offense.id));
            }
            for (n, element) in offense.elements.iter().enumerate() {
                let expected = format!("{}-E{}", offense.id, n + 1);
                if element.id != expected {
                    problems.push(format!("element {} should be numbered {expected}", element.id));
                }
            }
            for (n, fact) in offense.penalty_facts.iter().enumerate() {
                let expected = format!("{}-P{}", offense.id, n + 1);
                if fact.id != expected {
                    problems.push(format!("penalty fact {} should be numbered {expected}", fact.id));
                }
                if fact.raises_max_years.is_none() && !fact.raises_to_life {
                    problems.push(format!("penalty fact {} raises nothing", fact.id));
                }
            }
            for element in offense.rows() {
                if element.theory.is_some() && !element.optional {
                    problems.push(format!("{}: a theory belongs on an optional element", element.id));
                }
                if !ids.insert(element.id.as_str()) {
                    problems.push(format!("duplicate id {}", element.id));
                }
                if element.sources.iter().all(|s| s.trim().is_empty()) {
                    problems.push(format!("{} has no source", element.id));
                }
                if element.text.trim().is_empty() {
                    problems.push(format!("{} has no text", element.id));
                }
            }
            if offense.id.starts_with(OTHER_PREFIX) {
                problems.push(format!("{}: the prefix {OTHER_PREFIX} is kept for out-of-catalog offenses", offense.id));
            }
            for id in offense.listed_if.iter().chain(&offense.unlimited_if) {
                if !offense.penalty_facts.iter().any(|p| &p.id == id) {
                    problems.push(format!("{}: limitation fact {id} is not one of its penalty facts", offense.id));
                }
            }
            if (!offense.listed_if.is_empty() || !offense.unlimited_if.is_empty())
                && offense.limitation != LimitationRule::ListedTerrorism
            {
                problems.push(format!("{}: listed_if and unlimited_if need limitation = listed_terrorism", offense.id));
            }
            if offense.limitation == LimitationRule::NotInCatalog {
                problems.push(format!("{}: not_in_catalog is no limitation rule for a catalog offense", offense.id));
            }
            if offense.rows().any(|e| e.label == Label::Entered) {
                problems.push(format!("{}: the ENTERED label is kept for what users type in", offense.id));
            }
            if offense.same_as_object && offense.objects.is_empty() {
                problems.push(format!("{} takes its maximum from an object offense but lists none", offense.id));
            }
        }
        for offense in &self.offenses {
            for object in &offense.objects {
                if self.offense(object).is_none() {
                    problems.push(format!("{} names unknown object offense {object}", offense.id));
                }
            }
            for predicate in &offense.predicates {
                if self.offense(predicate).is_none() {
                    problems.push(format!("{} names unknown predicate offense {predicate}", offense.id));
                }
            }
        }
        if let Some(g) = &self.guidelines
            && !g.loss_table.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
        {
            problems.push("the loss table must rise with the loss".into());
        }
        let mut keys = HashSet::new();
        let mut districts = 0;
        for circuit in &self.circuits {
            for d in &circuit.districts {
                districts += 1;
                if !keys.insert(district_key(&d.abbr)) || !keys.insert(district_key(&d.name)) {
                    problems.push(format!("district {} is named twice", d.abbr));
                }
            }
        }
        if !self.circuits.is_empty() && districts != 94 {
            problems.push(format!("{districts} districts listed; there are 94"));
        }
        for related in &self.related {
            if related.sources.is_empty() {
                problems.push(format!("related statute {} has no source", related.citation));
            }
            if related.label == Label::Entered {
                problems.push(format!("related statute {}: the ENTERED label is kept for users", related.citation));
            }
        }
        // Exhibit kinds are Custos's vocabulary, not the catalog's: `domain::evidence` checks
        // them against the catalog at start-up, so this module stays a leaf.
        for suggestion in &self.suggestions {
            for id in &suggestion.elements {
                if self.element(id).is_none() {
                    problems.push(format!("suggestion '{}' names unknown element {id}", suggestion.evidence));
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(format!("statute catalog: {}", problems.join("; "))) }
    }
}

static CATALOG: LazyLock<Result<Catalog, String>> = LazyLock::new(|| Catalog::parse(CATALOG_TOML));

/// The compiled-in catalog. Start-up calls this first, so a bad data file stops the server
/// before it serves anything.
pub fn catalog() -> Result<&'static Catalog, String> {
    CATALOG.as_ref().map_err(Clone::clone)
}

/// The limitation period of a count, the authority for it and what to check about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitationPeriod {
    /// `None`: no limit (§ 3286(b)).
    pub years: Option<u8>,
    pub authority: &'static str,
    /// The reference's caution on how the rule is read, with its label.
    pub note: Option<&'static str>,
}

/// How circuits read "affects a financial institution" (reference §1.1).
pub const AFFECTS_NOTE: &str = "Circuits read \"affects\" differently: a new or increased risk of loss suffices in the 7th and 9th Circuits (Serpico, 320 F.3d 691 (7th Cir. 2003); Stargell, 738 F.3d 1018 (9th Cir. 2013)) [SRC]; the 1st Circuit read it narrowly (Agne, 214 F.3d 47 (1st Cir. 2000)) [SRC]; the 4th reportedly requires that the institution be victimized or actually harmed [UNVERIFIED].";

/// The limitation period of a count of `offense` pleading `pleaded`, with "affects a financial
/// institution" pleaded or not; `None` for an out-of-catalog offense (no rule is guessed).
pub fn limitation_period(
    offense: &Offense,
    pleaded: &[&str],
    affects_financial_institution: bool,
) -> Option<LimitationPeriod> {
    let general = LimitationPeriod { years: Some(5), authority: "18 U.S.C. § 3282(a)", note: None };
    Some(match offense.limitation {
        LimitationRule::NotInCatalog => return None,
        LimitationRule::General => general,
        LimitationRule::Wire if affects_financial_institution => {
            LimitationPeriod { years: Some(10), authority: "18 U.S.C. § 3293(2)", note: Some(AFFECTS_NOTE) }
        }
        LimitationRule::Wire => general,
        LimitationRule::ListedTerrorism => {
            let listed = offense.is_listed(pleaded);
            if listed && offense.unlimited_if.iter().any(|id| pleaded.contains(&id.as_str())) {
                LimitationPeriod {
                    years: None,
                    authority: "18 U.S.C. § 3286(b)",
                    note: Some(
                        "No limit for a § 2332b(g)(5)(B) offense whose commission resulted in, or created a foreseeable risk of, death or serious bodily injury [STAT]; its application to this count is [ANALYSIS].",
                    ),
                }
            } else if listed {
                LimitationPeriod {
                    years: Some(8),
                    authority: "18 U.S.C. § 3286(a)",
                    note: Some(
                        "Eight years for an offense on the § 2332b(g)(5)(B) list [STAT]; the mapping of this count to the list is [ANALYSIS].",
                    ),
                }
            } else {
                LimitationPeriod {
                    note: Some(
                        "Eight years (§ 3286(a)) only with a harm of § 1030(c)(4)(A)(i)(II)-(VI) pleaded; the $5,000 loss of (I) alone keeps five [STAT].",
                    ),
                    ..general
                }
            }
        }
    })
}

/// The last day to indict: the same calendar day `years` later (28 February for an offense
/// on 29 February when the later year is not a leap year).
pub fn limitation_deadline(offense_date: Date, years: u8) -> Date {
    let year = offense_date.year() + i32::from(years);
    Date::from_calendar_date(year, offense_date.month(), offense_date.day())
        .or_else(|_| Date::from_calendar_date(year, Month::February, 28))
        .unwrap_or(offense_date)
}

/// Said with every suggestion that an operator's instruction to an AI agent bears on a count:
/// the law as the research reference states it, with its labels (statutes.md, § 2 rows).
pub const CAUSING_THROUGH_AN_AGENT: &str = "An instruction to an agent can show a willful causing under 18 U.S.C. \
§ 2(b) [STAT text; application ANALYSIS: no case has decided § 2(b)'s application to autonomous software], \
and it is evidence of the defendant's own mental state, which § 2(b) does not lower and which must still be proved \
[STAT]. Launching the agent is not by itself proof of intent [ANALYSIS].";

/// What the memo should prompt for each defense key in the catalog.
pub fn defense_prompt(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "authorization" => (
            "Authorization (Van Buren)",
            "Was the defendant entirely without authorization, or did they enter parts of the system closed to them? Misuse of data they could reach is not enough (Van Buren v. United States, 593 U.S. 374 (2021)) [SRC].",
        ),
        "security-research" => (
            "Good-faith security research",
            "JM 9-48.000 directs prosecutors not to charge good-faith security research: access solely to test or fix a flaw, designed to avoid harm [SRC via justice.gov excerpt and summaries]. It is charging policy, not a legal defense. Claimed research combined with extortion is not good faith.",
        ),
        "intent" => {
            ("Lack of intent or good faith", "Answer with the defendant's own prompts, configuration and messages.")
        }
        "materiality" => (
            "Materiality",
            "The lies must be capable of influencing a person to part with money or property (Neder v. United States, 527 U.S. 1 (1999)) [SRC].",
        ),
        "money-or-property" => (
            "Money or property",
            "The object must be a traditional property interest, not the right to control information (Ciminelli v. United States, 598 U.S. 306 (2023)) [SRC]; no economic loss is required (Kousisis v. United States, 605 U.S. ___ (2025)) [SRC].",
        ),
        "attribution" => (
            "Attribution",
            "\"Someone else used my account\" or spoofing: tie the acts to the defendant through devices, accounts, payments and subscriber records.",
        ),
        "ai-did-it" => (
            "\"The AI did it\"",
            "A person who configures and launches an agent, bot or model that performs the prohibited act can be charged as a principal acting through a tool, or under 18 U.S.C. § 2(b) if the causing was willful [STAT text; application ANALYSIS: no case has decided § 2(b)'s application to autonomous software]. Neither route lowers the offense's own mental state: prove the defendant's own intent from the prompts, configuration, targeting and conduct. \"The AI did it\" neither supplies nor by itself negates intent.",
        ),
        "dubin" => (
            "Dubin \"crux\"",
            "The use of the means of identification must be at the crux of what made the conduct criminal (Dubin v. United States, 599 U.S. 110 (2023)) [SRC], not incidental.",
        ),
        "knowledge-real-person" => (
            "Knowledge of a real person",
            "The defendant must have known the identity belonged to a real person (Flores-Figueroa v. United States, 556 U.S. 646 (2009)) [SRC].",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        super::catalog().unwrap()
    }

    #[test]
    fn the_catalog_parses_and_validates() {
        let c = catalog();
        assert!(!c.version.is_empty());
        assert_eq!(
            c.offenses.len(),
            26,
            "1030: 11 (with conspiracy and attempt), 1028: 8 and (f) conspiracy and attempt, 1028A (a)(1) and (a)(2), 1343, 1349 (two)"
        );
    }

    #[test]
    fn every_required_offense_is_present_with_elements() {
        let required = [
            "CFAA-A1",
            "CFAA-A2",
            "CFAA-A3",
            "CFAA-A4",
            "CFAA-A5A",
            "CFAA-A5B",
            "CFAA-A5C",
            "CFAA-A6",
            "CFAA-A7",
            "CFAA-B",
            "CFAA-B-ATT",
            "ID-A1",
            "ID-A2",
            "ID-A3",
            "ID-A4",
            "ID-A5",
            "ID-A6",
            "ID-A7",
            "ID-A8",
            "ID-F-CONSP",
            "ID-F-ATT",
            "AGG-ID",
            "AGG-ID-A2",
            "WIRE",
            "WIRE-1349",
            "WIRE-1349-ATT",
        ];
        for id in required {
            let offense = catalog().offense(id).unwrap_or_else(|| panic!("{id} missing"));
            assert!(offense.elements.len() >= 2, "{id} has too few elements");
            assert!(offense.rows().all(|e| !e.sources.is_empty()), "{id} has an element without a source");
        }
        // 1028(a) offenses other than (a)(4) carry the (c) jurisdictional element.
        for id in ["ID-A1", "ID-A2", "ID-A3", "ID-A5", "ID-A7", "ID-A8"] {
            let offense = catalog().offense(id).unwrap();
            assert!(offense.elements.iter().any(|e| e.sources.iter().any(|s| s.contains("1028(c)"))), "{id}");
        }
    }

    #[test]
    fn ids_are_unique_and_numbered() {
        let mut seen = HashSet::new();
        for offense in &catalog().offenses {
            assert!(seen.insert(offense.id.clone()));
            for e in offense.rows() {
                assert!(seen.insert(e.id.clone()), "{} twice", e.id);
                assert!(e.id.starts_with(&offense.id));
            }
        }
    }

    #[test]
    fn a_bad_catalog_is_refused_with_reasons() {
        let text = r#"
version = "x"
dated = "2026-01-01"
statute_text_as_of = "2023-04-20"
notice = "n"
[[offense]]
id = "X"
statute = "s"
subsection = ""
title = "t"
unit = "u"
max_years = 1
guideline = "g"
sources = ["s"]
[[offense.element]]
id = "X-E1"
text = "a"
label = "STAT"
sources = []
[[offense.element]]
id = "X-E1"
text = "b"
label = "STAT"
sources = ["s"]
"#;
        let err = Catalog::parse(text).unwrap_err();
        assert!(err.contains("X-E1 has no source"), "{err}");
        assert!(err.contains("duplicate id X-E1"), "{err}");
        assert!(err.contains("should be numbered X-E2"), "{err}");
        assert!(Catalog::parse(&text.replace("\"STAT\"", "\"SETTLED\"")).is_err());
    }

    fn max(id: &str, facts: &[&str]) -> Maximum {
        catalog().offense(id).unwrap().maximum_with(facts.iter().copied())
    }

    #[test]
    fn penalty_tiers_match_the_reference() {
        use Maximum::{Life, Years};
        // 18 U.S.C. 1030(c)
        assert_eq!(max("CFAA-A1", &[]), Years(10));
        assert_eq!(max("CFAA-A2", &[]), Years(1));
        assert_eq!(max("CFAA-A2", &["CFAA-A2-P1"]), Years(5));
        assert_eq!(catalog().offense("CFAA-A2").unwrap().repeat_max_years, Some(10));
        assert_eq!(max("CFAA-A4", &[]), Years(5));
        assert_eq!(max("CFAA-A5A", &[]), Years(1));
        assert_eq!(max("CFAA-A5A", &["CFAA-A5A-P1"]), Years(10));
        assert_eq!(max("CFAA-A5A", &["CFAA-A5A-P1", "CFAA-A5A-P2"]), Years(20));
        assert_eq!(max("CFAA-A5A", &["CFAA-A5A-P3"]), Life);
        assert_eq!(max("CFAA-A5B", &["CFAA-A5B-P1"]), Years(5));
        assert_eq!(max("CFAA-A5C", &[]), Years(1));
        assert_eq!(max("CFAA-A6", &[]), Years(1), "(a)(6) is a misdemeanor for a first offense");
        assert_eq!(max("CFAA-A7", &[]), Years(5));
        // 18 U.S.C. 1028(b)
        assert_eq!(max("ID-A7", &[]), Years(5));
        assert_eq!(max("ID-A7", &["ID-A7-P1"]), Years(15));
        assert_eq!(max("ID-A7", &["ID-A7-P3"]), Years(30));
        assert_eq!(max("ID-A5", &[]), Years(15));
        assert_eq!(max("ID-A1", &["ID-A1-P1"]), Years(15));
        // 1028A: a mandatory consecutive two years
        let agg = catalog().offense("AGG-ID").unwrap();
        assert_eq!((agg.min_years, agg.max_years, agg.consecutive), (2, 2, true));
        assert!(agg.penalty_facts.is_empty(), "(a)(2) is its own offense, not a penalty fact of (a)(1)");
        // 1343 and 1349
        assert_eq!(max("WIRE", &[]), Years(20));
        assert_eq!(max("WIRE", &["WIRE-P1"]), Years(30));
        assert_eq!(max("WIRE-1349", &["WIRE-1349-P1"]), Years(30));
    }

    #[test]
    fn the_reference_traps_are_respected() {
        // 1030(a)(2)(C) has no separate interstate-communication element.
        let a2 = catalog().offense("CFAA-A2").unwrap();
        assert!(a2.elements.iter().all(|e| !e.text.to_lowercase().contains("interstate")));
        // Unverified points are labelled as such.
        let viewing = catalog().element("CFAA-A2-E2").unwrap().1;
        assert!(viewing.label.verify_before_relying());
    }

    /// One assertion per item of the reference's "Changes in this revision" list that the
    /// catalog carries (items 9 and 10 are checked where the rules live: limitation periods
    /// below, charge ranking in `domain::charge`).
    #[test]
    fn the_revised_reference_is_followed() {
        let c = catalog();
        // 1. § 2(b) needs a willful causing and never lowers the offense's own mental state.
        let (_, prompt) = defense_prompt("ai-did-it").unwrap();
        assert!(prompt.contains("willful") && prompt.contains("own mental state") && prompt.contains("ANALYSIS"));
        // 2. No overt act is an element of § 1349, § 1030(b) or § 1028(f).
        for id in ["WIRE-1349", "CFAA-B", "ID-F-CONSP"] {
            assert!(
                c.offense(id).unwrap().elements.iter().all(|e| !e.text.to_lowercase().contains("overt act")),
                "{id}"
            );
        }
        // 3. WIRE-E1 in the current 9th Cir. 15.35 form: one scheme, for money or property.
        let wire_e1 = &c.element("WIRE-E1").unwrap().1.text;
        assert!(wire_e1.contains("scheme or plan to defraud whose purpose was to obtain money or property"));
        // 4. § 1030(a)(2) and (a)(5)(B): intent attaches to the unauthorized access; renumbered.
        let a2 = c.offense("CFAA-A2").unwrap();
        assert_eq!(a2.elements.len(), 3);
        assert!(
            a2.elements[0].text.starts_with("The defendant intentionally accessed a computer without authorization")
        );
        let a5b = c.offense("CFAA-A5B").unwrap();
        assert_eq!(a5b.elements.len(), 2);
        assert!(a5b.elements[0].text.contains("intentionally accessed a protected computer without authorization"));
        // 5. CFAA-A4-E5 becomes required under the compute-use-only theory.
        let e5 = c.element("CFAA-A4-E5").unwrap().1;
        assert!(e5.optional && e5.theory.as_deref().is_some_and(|t| t.contains("compute-use-only")));
        // 6. Inchoate counts take their object (and its P-facts): they name objects.
        for id in ["CFAA-B", "CFAA-B-ATT", "WIRE-1349", "WIRE-1349-ATT", "ID-F-CONSP", "ID-F-ATT"] {
            let o = c.offense(id).unwrap();
            assert!(o.same_as_object && !o.objects.is_empty(), "{id}");
        }
        // 7. § 1028A: (a)(1) and (a)(2) separate; § 1028(a)(7) no predicate; no (a)(2) fact on (a)(1).
        let a1 = c.offense("AGG-ID").unwrap();
        assert!(!a1.predicates.iter().any(|p| p == "ID-A7") && a1.penalty_facts.is_empty());
        assert_eq!((c.offense("AGG-ID-A2").unwrap().min_years, a1.min_years), (5, 2));
        // 8. § 1028(b)(3)/(b)(4) reach every (a) subsection; (b)(3)(C) only a prior § 1028 conviction.
        for id in ["ID-A1", "ID-A2", "ID-A3", "ID-A4", "ID-A5", "ID-A6", "ID-A7", "ID-A8"] {
            let facts = &c.offense(id).unwrap().penalty_facts;
            assert!(facts.iter().any(|p| p.raises_max_years == Some(30)), "{id}: (b)(4)");
            assert!(
                facts
                    .iter()
                    .any(|p| p.sources.iter().any(|s| s.contains("1028(b)(3)(C)")) && p.text.contains("under § 1028")),
                "{id}: (b)(3)(C)"
            );
        }
        // 9. § 3293(2) names conspiracy, not attempt.
        assert_eq!(c.offense("WIRE-1349-ATT").unwrap().limitation, LimitationRule::General);
        // 11. Conspiracy and attempt elements are doctrine: never labelled as statute text.
        for id in ["CFAA-B", "CFAA-B-ATT", "WIRE-1349", "WIRE-1349-ATT", "ID-F-CONSP", "ID-F-ATT"] {
            assert!(c.offense(id).unwrap().elements.iter().all(|e| e.label != Label::Stat), "{id}");
        }
    }

    #[test]
    fn limitation_periods() {
        use time::macros::date;
        let years = |id: &str, pleaded: &[&str], fi: bool| {
            limitation_period(catalog().offense(id).unwrap(), pleaded, fi).map(|p| p.years)
        };
        assert_eq!(years("WIRE", &[], true), Some(Some(10)), "§ 3293(2) when pleaded");
        assert_eq!(years("WIRE", &[], false), Some(Some(5)));
        assert_eq!(years("WIRE-1349", &[], true), Some(Some(10)), "a conspiracy to violate § 1343");
        assert_eq!(years("WIRE-1349-ATT", &[], true), Some(Some(5)), "§ 3293(2) does not name attempts");
        assert_eq!(years("CFAA-A4", &[], true), Some(Some(5)), "not a § 1343 count");
        assert_eq!(years("CFAA-A1", &[], false), Some(Some(8)), "§ 1030(a)(1) is listed");
        assert_eq!(years("CFAA-A5A", &["CFAA-A5A-P1"], false), Some(Some(5)), "the $5,000 loss of (I) alone");
        assert_eq!(years("CFAA-A5A", &["CFAA-A5A-P4"], false), Some(Some(8)), "a (II)-(VI) harm");
        assert_eq!(years("CFAA-A5A", &["CFAA-A5A-P4", "CFAA-A5A-P3"], false), Some(None), "death: no limit");
        assert_eq!(years("CFAA-A5A", &["CFAA-A5A-P3"], false), Some(Some(5)), "not listed without a (II)-(VI) harm");
        let mut entered = catalog().offense("WIRE").unwrap().clone();
        entered.limitation = LimitationRule::NotInCatalog;
        assert_eq!(limitation_period(&entered, &[], true), None, "no rule is guessed");
        assert_eq!(limitation_deadline(date!(2024 - 02 - 29), 5), date!(2029 - 02 - 28));
        assert_eq!(limitation_deadline(date!(2025 - 03 - 14), 10), date!(2035 - 03 - 14));
    }

    #[test]
    fn suggestions_follow_kind_and_tags_and_stay_within_the_charges() {
        let c = catalog();
        let all = c.suggestions_for("deepfake_media", &[], None);
        assert!(all.iter().any(|s| s.element.id == "WIRE-E1"));
        let only_wire = c.suggestions_for("deepfake_media", &[], Some(&["WIRE"]));
        assert!(!only_wire.is_empty() && only_wire.iter().all(|s| s.offense.id == "WIRE"));
        let by_tag = c.suggestions_for("other", &["Infostealer".to_owned()], None);
        assert!(by_tag.iter().any(|s| s.element.id == "CFAA-A6-E2"));
        assert!(c.suggestions_for("other", &[], None).is_empty());
    }

    #[test]
    fn citations_compare_by_provision_and_related_statutes_carry_labels() {
        assert!(falls_under("18 U.S.C. § 1029(a)(2)", "18 U.S.C. § 1029"));
        assert!(falls_under("18 USC 1344", "18 U.S.C. § 1344"));
        assert!(!falls_under("18 U.S.C. § 10291", "18 U.S.C. § 1029"));
        assert!(!falls_under("18 U.S.C. § 1029", "18 U.S.C. § 922(a)(6)"));
        assert!(!falls_under("", ""));
        let related = &catalog().related;
        assert!(related.iter().any(|r| r.citation == "18 U.S.C. § 1956(h)" && r.label == Label::Stat));
        assert!(related.iter().all(|r| !r.sources.is_empty()));
        // An out-of-catalog object of § 1349 is one the catalog allows, such as § 1344.
        let consp = catalog().offense("WIRE-1349").unwrap();
        assert!(consp.other_objects.iter().any(|p| falls_under("18 U.S.C. § 1344", p)));
        assert!(!consp.other_objects.iter().any(|p| falls_under("50 U.S.C. § 1705", p)));
    }

    #[test]
    fn the_loss_table_is_the_references() {
        let g = catalog().guidelines.as_ref().unwrap();
        assert_eq!(g.loss_increase(6_500), 0, "more than $6,500");
        assert_eq!(g.loss_increase(6_501), 2);
        assert_eq!(g.loss_increase(3_000_000), 16);
        assert_eq!(g.loss_increase(10_200_000), 20);
        assert_eq!(g.loss_increase(600_000_000), 30);
        assert!(g.loss_table_note.contains("Nov. 1, 2026"), "the newer table is flagged");
    }

    #[test]
    fn the_94_districts_give_their_circuit() {
        let c = catalog();
        let (circuit, district) = c.district("D. Mass.").unwrap();
        assert_eq!((circuit.short.as_str(), district.name.as_str()), ("1st", "District of Massachusetts"));
        assert!(circuit.instructions_text().contains("First Circuit"));
        for text in ["sdny", "S.D.N.Y.", "Southern District of New York"] {
            assert_eq!(c.district(text).unwrap().1.abbr, "S.D.N.Y.", "{text}");
        }
        assert_eq!(c.district("D.N. Mar. I.").unwrap().0.short, "9th", "part of the same circuit as Guam");
        assert!(c.district("N.D. Calif").is_none() && c.district("").is_none(), "nothing is guessed");
        let (dc, _) = c.district("D.D.C.").unwrap();
        assert!(dc.instructions_text().starts_with("No D.C. Circuit pattern instruction"));
        assert_eq!(c.circuits.iter().map(|c| c.districts.len()).sum::<usize>(), 94);
    }

    /// Nothing legal is stated without its label: every defense prompt that cites law says
    /// how far it was checked.
    #[test]
    fn defense_prompts_carry_their_labels() {
        for key in [
            "authorization",
            "security-research",
            "intent",
            "materiality",
            "money-or-property",
            "attribution",
            "ai-did-it",
            "dubin",
            "knowledge-real-person",
        ] {
            let (_, prompt) = defense_prompt(key).unwrap();
            let cites = prompt.contains(" v. ") || prompt.contains('§') || prompt.contains("JM ");
            let labelled =
                ["[STAT", "[SRC", "[ANALYSIS", "[UNVERIFIED", "[INFERRED"].iter().any(|l| prompt.contains(l));
            assert!(!cites || labelled, "{key}: {prompt}");
        }
    }

    #[test]
    fn every_defense_key_has_a_prompt() {
        for offense in &catalog().offenses {
            for key in &offense.defenses {
                assert!(defense_prompt(key).is_some(), "{} names unknown defense {key}", offense.id);
            }
        }
    }
}
