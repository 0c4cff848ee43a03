//! `tessera demo`: a workspace with synthetic customers (Chinese, accented and emoji names, mixed
//! consent, realistic purchase histories, a few duplicates and bad rows), imported through the
//! real import path, the starter templates, and a rendered demo campaign.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::campaigns::store::save_campaign;
use crate::campaigns::{
    plan_campaign, render_campaign, Campaign, CampaignError, RunOptions, RunSummary, Selector,
};
use crate::customers::{import_customers, import_events, ImportOptions, ImportSummary};
use crate::segments::SegmentIndex;
use crate::store::{Access, Workspace};
use crate::templates::store as template_store;

/// A small deterministic generator (xorshift), so the demo is the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-12), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    /// Gamma(shape, 1) by Marsaglia and Tsang.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * self.uniform().max(1e-12).powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && self.uniform().max(1e-12).ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
}

const ZH_FAMILY: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "欧阳", "司马",
];
const ZH_GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞",
];
const EN_FIRST: &[&str] = &[
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Zoë",
    "José",
    "François",
    "Søren",
    "Chloé",
    "Mateo",
    "Ava",
    "Björn",
    "Amélie",
    "Lucía",
    "Ethan",
    "Sunny ☀️",
    "Maya 🌸",
];
const EN_LAST: &[&str] = &[
    "Smith", "Johnson", "Müller", "García", "Dubois", "O'Brien", "Nguyen", "Kowalski", "Jensen",
    "Rossi", "Brown", "Núñez",
];
const CITIES_ZH: &[&str] = &["上海", "北京", "深圳", "杭州", "成都", "广州"];
const CITIES_EN: &[&str] = &[
    "London", "New York", "Berlin", "Paris", "Toronto", "Sydney", "München",
];
/// (product, category, price)
const CATALOG: &[(&str, &str, f64)] = &[
    ("Hydrating Serum", "skincare", 39.0),
    ("Vitamin C Cream", "skincare", 45.5),
    ("Gentle Cleanser", "skincare", 19.9),
    ("Sunscreen SPF50", "skincare", 24.0),
    ("Ethiopia Yirgacheffe", "coffee", 16.5),
    ("Colombia Huila", "coffee", 14.0),
    ("Espresso Blend", "coffee", 12.5),
    ("Longjing Green Tea 龙井", "tea", 28.0),
    ("Tieguanyin Oolong 铁观音", "tea", 32.0),
    ("Earl Grey", "tea", 9.5),
    ("Ceramic Mug", "home", 18.0),
    ("Pour-over Kettle", "home", 49.0),
];

/// A product's URL name: `Hydrating Serum` → `hydratingserum`.
fn product_slug(product: &str) -> String {
    product
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// A small picture of a product for previews (the demo's shop does not exist): its initial on
/// its category's colour.
fn product_picture(product: &str, category: &str) -> String {
    let (from, to) = match category {
        "skincare" => ("#f6d5e0", "#d9779b"),
        "coffee" => ("#e8d3bf", "#7a4a2a"),
        "tea" => ("#d8ecd0", "#4f8a3c"),
        _ => ("#d6e4f5", "#3f6fb5"),
    };
    let initial: String = product.chars().take(1).collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"240\" height=\"240\" viewBox=\"0 0 240 240\">\
         <defs><linearGradient id=\"g\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\">\
         <stop offset=\"0\" stop-color=\"{from}\"/><stop offset=\"1\" stop-color=\"{to}\"/></linearGradient></defs>\
         <rect width=\"240\" height=\"240\" rx=\"24\" fill=\"url(#g)\"/>\
         <text x=\"120\" y=\"150\" font-family=\"sans-serif\" font-size=\"96\" text-anchor=\"middle\" fill=\"#ffffff\">{initial}</text></svg>"
    )
}

/// Keeps a picture of every demo product for previews, under the URL its purchases name.
async fn keep_product_pictures(pool: &sqlx::SqlitePool) -> Result<(), sqlx::Error> {
    for (product, category, _) in CATALOG {
        let url = format!("https://shop.example/img/{}.jpg", product_slug(product));
        let svg = product_picture(product, category);
        crate::render::images::keep_preview_image(pool, &url, "image/svg+xml", svg.as_bytes())
            .await?;
    }
    Ok(())
}

fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| crate::customers::csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// Writes the demo's customers.csv and purchases.csv.
pub fn write_demo_files(
    dir: &Path,
    customers: usize,
    seed: u64,
) -> std::io::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(seed);
    let now = chrono::Utc::now().timestamp();
    let mut people = String::from("customer_id,email,phone,first_name,last_name,locale,city,loyalty_tier,points,birthday,tags,email_opt_in,unsubscribed\n");
    let mut purchases = String::from("email,timestamp,type,value,product,category,image,url\n");
    for i in 1..=customers {
        let chinese = rng.chance(50);
        let (first, last, locale, city) = if chinese {
            (
                rng.pick(ZH_GIVEN).to_string(),
                rng.pick(ZH_FAMILY).to_string(),
                "zh-CN",
                rng.pick(CITIES_ZH).to_string(),
            )
        } else {
            (
                rng.pick(EN_FIRST).to_string(),
                rng.pick(EN_LAST).to_string(),
                *rng.pick(&["en-US", "en-GB", "de-DE", "fr-FR"]),
                rng.pick(CITIES_EN).to_string(),
            )
        };
        let email = format!("customer{i}@example.{}", if chinese { "cn" } else { "com" });
        let phone = if rng.chance(70) {
            format!("+86 138{:08}", rng.below(100_000_000))
        } else {
            String::new()
        };
        let tier = rng
            .pick(&["bronze", "silver", "gold", "platinum", ""])
            .to_string();
        let mut tags: Vec<&str> = Vec::new();
        for (tag, p) in [("vip", 10), ("newsletter", 60), ("wholesale", 5)] {
            if rng.chance(p) {
                tags.push(tag);
            }
        }
        let birthday = format!(
            "{}-{:02}-{:02}",
            1960 + rng.below(45),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        let opted_out = rng.chance(8);
        let opt_in = if opted_out {
            "no"
        } else if rng.chance(85) {
            "yes"
        } else {
            ""
        };
        let points = rng.below(5000).to_string();
        let row = [
            i.to_string(),
            email.clone(),
            phone.clone(),
            first.clone(),
            last.clone(),
            locale.to_string(),
            city,
            tier,
            points,
            birthday,
            tags.join(";"),
            opt_in.into(),
            if opted_out { "1".into() } else { "0".into() },
        ];
        people.push_str(&csv_line(&row));
        // The same person again from another channel: upper-case email, no id — merged on import.
        if rng.chance(3) {
            people.push_str(&csv_line(&[
                String::new(),
                email.to_uppercase(),
                phone,
                first.clone(),
                last.clone(),
                locale.into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "from-pos".into(),
                String::new(),
                String::new(),
            ]));
        }
        // Purchases follow the process the value models assume, so the demo's fit is meaningful:
        // a personal weekly rate, and after each purchase a personal chance of never returning.
        let rate = rng.gamma(0.9) / 4.0;
        let dropout = {
            let (x, y) = (rng.gamma(1.2), rng.gamma(4.0));
            x / (x + y)
        };
        let mut week = rng.uniform() * 52.0;
        let mut purchase_weeks = Vec::new();
        if !rng.chance(20) {
            while week < 104.0 && purchase_weeks.len() < 40 {
                purchase_weeks.push(week);
                if rng.uniform() < dropout {
                    break;
                }
                week += -rng.uniform().max(1e-12).ln() / rate.max(1e-6);
            }
        }
        let preferred = rng.pick(&["skincare", "coffee", "tea", "home"]).to_string();
        for purchase_week in purchase_weeks {
            let candidates: Vec<&(&str, &str, f64)> = CATALOG
                .iter()
                .filter(|c| c.1 == preferred || rng.chance(30))
                .collect();
            let &(product, category, price) = *rng.pick(&candidates);
            let when = now - ((104.0 - purchase_week) * 7.0 * 86_400.0) as i64;
            let ts = chrono::DateTime::from_timestamp(when, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default();
            let slug = product_slug(product);
            purchases.push_str(&csv_line(&[
                email.clone(),
                ts,
                "purchase".into(),
                format!("{price:.2}"),
                product.into(),
                category.into(),
                format!("https://shop.example/img/{slug}.jpg"),
                format!("https://shop.example/p/{slug}"),
            ]));
        }
    }
    // Rows a real export would have: a broken email and a missing identity.
    people.push_str("9999001,not-an-email,,Broken,Row,en-US,,,,,,,\n");
    people.push_str(",,,No,Identity,en-US,,,,,,,\n");
    let customers_path = dir.join("customers.csv");
    let purchases_path = dir.join("purchases.csv");
    std::fs::write(&customers_path, people)?;
    std::fs::write(&purchases_path, purchases)?;
    Ok((customers_path, purchases_path))
}

#[derive(Debug, serde::Serialize)]
pub struct DemoReport {
    pub workspace: String,
    pub customers: ImportSummary,
    pub events: ImportSummary,
    pub model: crate::scores::FitReport,
    pub templates: usize,
    /// The demo campaign's run: two variants, each in English and Chinese, and a holdout.
    pub campaign: RunSummary,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        let _ = writeln!(s, "demo workspace: {}", self.workspace);
        for i in [&self.customers, &self.events] {
            let _ = writeln!(
                s,
                "  imported {}: {} inserted, {} merged, {} rejected ({})",
                i.kind,
                i.inserted,
                i.merged,
                i.rejected,
                i.rejected_file.as_deref().unwrap_or("-")
            );
        }
        let _ = writeln!(
            s,
            "  value models fitted on {} buyers{}",
            self.model.customers,
            self.model
                .fallback
                .as_ref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default()
        );
        let _ = writeln!(s, "  {} starter templates installed", self.templates);
        let c = &self.campaign;
        let arms: Vec<String> = c
            .split
            .arms
            .iter()
            .map(|a| format!("{} {}", a.name, a.customers))
            .collect();
        let _ = writeln!(
            s,
            "  campaign '{}': {} emails in {} ({}; holdout {}, {} opted out, {} without email), manifest {}",
            c.campaign,
            c.rendered,
            c.out,
            arms.join(", "),
            c.split.excluded.holdout,
            c.split.excluded.opted_out,
            c.split.excluded.no_address,
            c.manifest
        );
        let _ = write!(s, "next: cargo run --release -- --db {} customers show 1   (or `segment count`, `preview email`, `model fit`)", self.workspace);
        f.write_str(&s)
    }
}

/// The demo's campaign: everyone, a 5% holdout, recommendations against a plain welcome, each in
/// English and Chinese.
pub const DEMO_CAMPAIGN: &str = r#"{
  "version": 1, "name": "spring", "seed": "spring-2026",
  "audience": {"all": true},
  "holdout": 0.05,
  "variants": [
    {"name": "A", "weight": 1, "email": {"en": "recommendations-en", "zh": "recommendations-zh"}},
    {"name": "B", "weight": 1, "email": {"en": "welcome-en", "zh": "welcome-zh"}}
  ],
  "email_settings": {"from": "Tessera Demo <hello@tessera.local>", "files": "html"},
  "hypothesis": {"statement": "Personal recommendations lift purchases", "metric": {"event": "purchase"},
                 "window_days": 14, "control": "holdout", "mde": 0.03}
}"#;

/// Why the demo could not be made: one of the steps a user would take by hand failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot write the demo files: {0}")]
    Files(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Import(#[from] crate::customers::ImportError),
    #[error(transparent)]
    Scores(#[from] crate::scores::ScoresError),
    #[error(transparent)]
    Templates(#[from] template_store::TemplateStoreError),
    #[error(transparent)]
    Campaign(#[from] CampaignError),
    #[error(transparent)]
    CampaignStore(#[from] crate::campaigns::store::CampaignStoreError),
    #[error(transparent)]
    Index(#[from] crate::segments::index::IndexError),
}

impl crate::error::Coded for DemoError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::Coded;
        match self {
            DemoError::Files(e) => Coded::kind(e),
            DemoError::Store(e) => e.kind(),
            DemoError::Import(e) => e.kind(),
            DemoError::Scores(e) => e.kind(),
            DemoError::Templates(e) => e.kind(),
            DemoError::Campaign(e) => e.kind(),
            DemoError::CampaignStore(e) => e.kind(),
            DemoError::Index(e) => e.kind(),
        }
    }
}

pub async fn create_demo(dir: &Path, db: &Path, customers: usize) -> Result<DemoReport, DemoError> {
    let (customers_csv, purchases_csv) = write_demo_files(dir, customers, 20261122)?;
    let ws = Workspace::open(db, Access::Create).await?;
    let quiet = |_| {};
    let options = ImportOptions::default();
    let customers = import_customers(&ws, &customers_csv, &options, &quiet).await?;
    let events = import_events(&ws, &purchases_csv, &options, &quiet).await?;
    keep_product_pictures(&ws.pool)
        .await
        .map_err(crate::store::StoreError::from)?;
    let model = crate::scores::fit_models(&ws.pool, None).await?;
    let templates = template_store::install_starter_templates(&ws.pool).await?;
    // One campaign, in each customer's language (a Chinese-locale customer gets the Chinese
    // email), with two variants and a holdout to learn from.
    let campaign = Campaign::parse(DEMO_CAMPAIGN).map_err(CampaignError::from)?;
    save_campaign(&ws.pool, &campaign).await?;
    let now = chrono::Utc::now();
    // Selected as the CLI and the app select: from the segment index, kept for them.
    let index = crate::campaigns::run::blocking(|| SegmentIndex::current(&ws.path, || {}))?.index;
    let plan = plan_campaign(&ws.pool, Selector::Index(&index), &campaign, now).await?;
    let run = render_campaign(
        &ws.pool,
        plan,
        RunOptions::unattended(dir.join("campaign"), now),
    )
    .await?;
    let report = DemoReport {
        workspace: db.display().to_string(),
        customers,
        events,
        model,
        templates,
        campaign: run,
    };
    ws.close().await;
    Ok(report)
}
