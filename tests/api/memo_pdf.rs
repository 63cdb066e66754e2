//! A large memo (200 exhibits, 10 counts) renders to a valid PDF whose tables break across
//! pages cleanly, every exhibit and digest readable; no database needed.

use custos::documents::memo::{VersionStamp, document, sample_content};

#[test]
fn a_memo_of_200_exhibits_and_10_counts_renders_and_paginates() {
    let content = sample_content(200, 10);
    let stamp = VersionStamp {
        version: 3,
        author: "AUSA Marcus Chen",
        created_at: time::macros::datetime!(2026-11-27 12:00),
        content_sha256: &"c".repeat(64),
        approval: None,
    };
    let doc = document(&content, &stamp);
    let bytes = custos::pdf::render(&doc);
    assert!(bytes == custos::pdf::render(&doc), "renders differ");
    // Kept for a look at the pages (pdftoppm) after the run.
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("memo-200-exhibits.pdf");
    std::fs::write(&out, &bytes).unwrap();
    crate::common::qpdf_check(&bytes);
    let Some(text) = crate::common::pdf_text(&bytes) else { return };
    let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert!(pages.len() >= 10, "only {} pages", pages.len());
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains("PRIVILEGED AND CONFIDENTIAL - ATTORNEY WORK PRODUCT - DRAFT"),
            "page {} has no header",
            i + 1
        );
        assert!(page.contains(&format!("Page {} of {}", i + 1, pages.len())), "page {} has no number", i + 1);
    }
    for exhibit in &content.exhibits {
        assert!(text.contains(&exhibit.number));
        assert!(text.contains(exhibit.sha256.as_deref().unwrap()), "{} digest broken", exhibit.number);
    }
    // No page ends with a heading (a section "N. ..." or a count's table title).
    for (i, page) in pages.iter().enumerate() {
        let body: Vec<&str> = page.lines().filter(|l| !l.trim().is_empty()).collect();
        let last = body.iter().rev().nth(1).map(|l| l.trim()).unwrap_or("");
        let section =
            last.split_once(". ").is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        assert!(!section && !last.starts_with("Count "), "page {} ends with the heading '{last}'", i + 1);
    }
    // The exhibit index runs over several pages, its header row repeated on each.
    let index_start = text.find("14. Attachments: exhibit index").unwrap();
    let index_pages = pages.iter().filter(|p| p.contains("E1") || p.contains("E2")).count();
    assert!(index_pages >= 3, "{index_pages}");
    let repeated = text[index_start..].matches("Custody").count();
    assert!(repeated >= 3, "header row repeated {repeated} times");
    // Each count's elements are all there.
    for charge in &content.charges {
        for element in &charge.elements {
            assert!(text.contains(&element.id), "{} missing", element.id);
        }
    }
}
