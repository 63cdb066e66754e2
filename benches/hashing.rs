//! SHA-256 throughput of the `sha2` crate in this process, as Custos uses it during ingest:
//! updates of 64 KiB (the size of the chunks actix-web delivers). Prints MB/s (10^6 bytes/s).
//! Run by bench/ingest beside `openssl speed -evp sha256`, so the two are compared in one run.

use sha2::{Digest, Sha256};
use std::time::Instant;

fn main() {
    let chunk = 64 * 1024;
    let total: usize = 2 << 30; // 2 GiB
    let buffer: Vec<u8> = (0..chunk).map(|i| (i * 31 % 251) as u8).collect();
    // Warm up, then measure the best of three passes.
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let mut hasher = Sha256::new();
        for _ in 0..total / chunk {
            hasher.update(&buffer);
        }
        let digest = hasher.finalize();
        std::hint::black_box(digest);
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("sha2_sha256_mb_per_s {:.1}", total as f64 / best / 1e6);
}
