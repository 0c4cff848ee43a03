//! `tessera bench`: placeholder replaced below.
#[derive(clap::Args)]
pub struct BenchArgs {}
pub async fn run(_: BenchArgs) -> Result<(), Box<dyn std::error::Error>> { Ok(()) }
