//! The use-case layer: the one surface the hosts (the `tessera` CLI and the desktop app) call.
//! A [`Session`] is an open workspace with what every action on it needs; each host action is
//! one function here, deciding what the engine decides (eligibility, seeds, staleness of the
//! index, what a render may replace, what is checked before video), so the hosts only ask and
//! show. Types the hosts exchange are re-exported from the module of their action.

mod campaigns;
mod customers;
mod error;
mod experiments;
mod models;
mod segments;
mod sending;
mod session;
mod sites;
mod storyboards;
mod templates;

pub use campaigns::*;
pub use customers::*;
pub use error::{Error, Result};
pub use experiments::*;
pub use models::*;
pub use segments::*;
pub use sending::*;
pub use session::Session;
pub use sites::*;
pub use storyboards::*;
pub use templates::*;

pub use crate::demo::DemoReport;
pub use crate::error::{ErrorKind, FieldProblem};
pub use crate::output::Overwrite;
pub use crate::store::{default_workspace_path, Access};

/// Creates the demo workspace (`db`, else `dir/workspace.sqlite`) with `customers` synthetic
/// customers, the starter templates and a campaign rendered into `dir`.
pub async fn create_demo(
    dir: &std::path::Path,
    db: Option<&std::path::Path>,
    customers: usize,
) -> Result<DemoReport> {
    let db = db.map_or_else(
        || dir.join("workspace.sqlite"),
        std::path::Path::to_path_buf,
    );
    Ok(crate::demo::create_demo(dir, &db, customers).await?)
}
