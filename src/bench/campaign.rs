//! The campaign pipeline end to end against the file system's floor, and the assignment alone.
//!
//! Fairness: the render and the floor write the same files (names and sizes, learnt from a
//! first, untimed render) on the same cores into fresh folders of the same file system; each
//! phase starts after `sync` (no dirty pages of the other), the two alternate, and the medians
//! of several rounds are compared.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::campaigns::{plan_campaign, render_campaign, Assigner, Campaign, RunOptions, Selector};
use crate::customers::{import_customers, import_events, ImportOptions};
use crate::segments::SegmentIndex;
use crate::store::{Access, Workspace};
use crate::templates::store::install_starter_templates;

/// A one-variant campaign in each customer's language, written as `.eml` messages.
pub const EMAIL_CAMPAIGN: &str = r#"{"version": 1, "name": "bench", "audience": {"all": true},
  "variants": [{"name": "A", "email": {"en": "recommendations-en", "zh": "recommendations-zh"}}],
  "email_settings": {"files": "eml"}}"#;

/// Every customer's site (two pages and a call to action each) in their language.
pub const SITE_CAMPAIGN: &str = r#"{"version": 1, "name": "bench-sites", "audience": {"all": true},
  "variants": [{"name": "A", "microsite": {"en": "offer-en", "zh": "offer-zh"}}]}"#;

/// What a render wrote for its customers: every file but the manifest and the folder's marker.
fn written_files(out: &Path) -> std::io::Result<Vec<(String, u64)>> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        for entry in std::fs::read_dir(out.join(&relative))? {
            let entry = entry?;
            let path = relative.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if !matches!(path.to_str(), Some("manifest.json" | crate::output::MARKER)) {
                files.push((path.to_string_lossy().into_owned(), entry.metadata()?.len()));
            }
        }
    }
    Ok(files)
}

const ROUNDS: usize = 5;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn sync() {
    let _ = std::process::Command::new("sync").status();
}

/// Renders the campaign into `out`; returns the time taken, the files written and the customers
/// rendered.
async fn render_once(
    ws: &Workspace,
    index: &SegmentIndex,
    campaign: &Campaign,
    out: &Path,
) -> Result<(Duration, Vec<(String, u64)>, u64), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let now = chrono::Utc::now();
    let plan = plan_campaign(&ws.pool, Selector::Index(index), campaign, now).await?;
    let summary = render_campaign(
        &ws.pool,
        plan,
        RunOptions::unattended(out.to_path_buf(), now),
    )
    .await?;
    let elapsed = start.elapsed();
    Ok((elapsed, written_files(out)?, summary.rendered))
}

/// The floor: the same files in the same folders written with no rendering, on the same cores.
fn floor_once(files: &[(String, u64)], out: &Path) -> std::io::Result<Duration> {
    let start = Instant::now();
    std::fs::create_dir(out)?;
    let mut folders: Vec<&Path> = files
        .iter()
        .filter_map(|(name, _)| Path::new(name).parent())
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    folders.sort_unstable();
    folders.dedup();
    folders
        .par_iter()
        .try_for_each(|folder| std::fs::create_dir_all(out.join(folder)))?;
    let largest = files.iter().map(|f| f.1).max().unwrap_or(0) as usize;
    let bytes = vec![b'x'; largest];
    files
        .par_iter()
        .try_for_each(|(name, size)| std::fs::write(out.join(name), &bytes[..*size as usize]))?;
    Ok(start.elapsed())
}

fn clear(path: &Path) {
    let _ = std::fs::remove_dir_all(path);
    sync();
}

/// The campaign `document` rendered for `customers` against the floor; `unit` names what one
/// customer gets ("emails", "sites").
pub async fn bench_campaign(
    customers: usize,
    scratch: &Path,
    document: &str,
    unit: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = scratch.join("campaign");
    let _ = std::fs::remove_dir_all(&dir);
    let (people, purchases) = crate::demo::write_demo_files(&dir, customers, 7)?;
    let ws = Workspace::open(&dir.join("workspace.sqlite"), Access::Create).await?;
    import_customers(&ws, &people, &ImportOptions::default(), &|_| {}).await?;
    import_events(&ws, &purchases, &ImportOptions::default(), &|_| {}).await?;
    install_starter_templates(&ws.pool).await?;
    let campaign = Campaign::parse(document)?;
    // The audience comes from the segment index, kept beside the workspace as the CLI keeps it.
    let index = SegmentIndex::current(&ws.path, || {})?.index;
    let shm = PathBuf::from("/dev/shm");
    let mut file_systems = vec![("disk", dir.join("out"))];
    if shm.is_dir() {
        file_systems.insert(
            0,
            (
                "tmpfs",
                shm.join(format!("tessera-bench-{}", std::process::id())),
            ),
        );
    }
    println!("Campaign render of {unit} end to end (audience, assignment, merge data, render, write, hash, manifest, delivery log) against writing the same files with no rendering:");
    for (label, base) in file_systems {
        std::fs::create_dir_all(&base)?;
        let (out, floor) = (base.join("render"), base.join("floor"));
        clear(&out);
        let (_, files, rendered) = render_once(&ws, &index, &campaign, &out).await?;
        let (mut renders, mut floors) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            for render_first in [round % 2 == 0, round % 2 == 1] {
                if render_first {
                    clear(&out);
                    renders.push(render_once(&ws, &index, &campaign, &out).await?.0);
                } else {
                    clear(&floor);
                    floors.push(floor_once(&files, &floor)?);
                }
            }
        }
        let (render, floor_time) = (median(renders), median(floors));
        let per_second = |d: Duration| files.len() as f64 / d.as_secs_f64();
        let bytes: u64 = files.iter().map(|f| f.1).sum::<u64>() / files.len().max(1) as u64;
        println!(
            "  {label:<5}  {:>8.0} {unit}/s ({:.0} files/s) against {:>8.0} files/s: {:.0}% of the floor ({} files of {bytes} bytes on average, medians of {ROUNDS} alternated rounds)",
            rendered as f64 / render.as_secs_f64(),
            per_second(render),
            per_second(floor_time),
            100.0 * floor_time.as_secs_f64() / render.as_secs_f64(),
            files.len()
        );
        let _ = std::fs::remove_dir_all(&base);
    }
    ws.close().await;
    Ok(())
}

/// Assignment alone: a million customers into two variants and a holdout.
pub fn bench_assign(customers: usize) -> Result<(), Box<dyn std::error::Error>> {
    let campaign = Campaign::parse(
        r#"{"version": 1, "name": "split", "seed": "bench", "audience": {"all": true}, "holdout": 0.05,
            "variants": [{"name": "A", "email": "a"}, {"name": "B", "weight": 2, "email": "b"}]}"#,
    )?;
    let ids: Vec<i64> = (1..=customers as i64).collect();
    let assigner = Assigner::new(&campaign);
    let times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(assigner.assign_all(&ids));
            start.elapsed()
        })
        .collect();
    println!(
        "Assign {customers} customers to two variants and a holdout: {:.1} ms (median of {ROUNDS})",
        median(times).as_secs_f64() * 1000.0
    );
    Ok(())
}
