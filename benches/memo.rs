//! Renders the 200-exhibit, 10-count memo to PDF and prints the best of several runs, with
//! the time `qpdf --check` takes to read the same file as the reference measured in the same
//! run (an outside PDF tool on the same machine).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use custos::documents::memo::{VersionStamp, document, sample_content};
use std::time::Instant;

fn main() {
    let content = sample_content(200, 10);
    let stamp = VersionStamp {
        version: 1,
        author: "AUSA Marcus Chen",
        created_at: time::macros::datetime!(2026-11-27 12:00),
        content_sha256: &"c".repeat(64),
        approval: None,
    };
    let mut best = f64::MAX;
    let mut bytes = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let doc = document(&content, &stamp);
        bytes = custos::pdf::render(&doc);
        best = best.min(start.elapsed().as_secs_f64());
    }
    let path = std::env::temp_dir().join("custos-memo-bench.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let mut qpdf_best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        match std::process::Command::new("qpdf").arg("--check").arg(&path).output() {
            Ok(out) if out.status.success() => qpdf_best = qpdf_best.min(start.elapsed().as_secs_f64()),
            _ => {}
        }
    }
    let pages = String::from_utf8_lossy(&bytes)
        .matches("/Type /Page\n")
        .count()
        .max(String::from_utf8_lossy(&bytes).matches("/Type/Page/").count());
    println!("memo_exhibits 200");
    println!("memo_counts 10");
    println!("memo_bytes {}", bytes.len());
    println!("memo_pages_hint {pages}");
    println!("memo_render_ms {:.1}", best * 1000.0);
    if qpdf_best < f64::MAX {
        println!("qpdf_check_ms {:.1}", qpdf_best * 1000.0);
    } else {
        println!("qpdf_check_ms unavailable");
    }
    let _ = std::fs::remove_file(&path);
}
