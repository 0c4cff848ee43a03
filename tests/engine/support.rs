use std::path::{Path, PathBuf};

use tessera_engine::customers::{import_customers, import_events, ImportOptions, ImportSummary};
use tessera_engine::store::{Access, Workspace};

pub struct TestWorkspace {
    pub dir: tempfile::TempDir,
    pub ws: Workspace,
}

impl TestWorkspace {
    pub async fn new() -> TestWorkspace {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(&dir.path().join("workspace.sqlite"), Access::Create)
            .await
            .unwrap();
        TestWorkspace { dir, ws }
    }

    pub fn file(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    pub async fn customers(&self, path: &Path) -> ImportSummary {
        import_customers(&self.ws, path, &ImportOptions::default(), &|_| {})
            .await
            .unwrap()
    }

    pub async fn events(&self, path: &Path) -> ImportSummary {
        import_events(&self.ws, path, &ImportOptions::default(), &|_| {})
            .await
            .unwrap()
    }

    pub async fn count(&self, table: &str) -> i64 {
        let sql = match table {
            "customers" => "SELECT COUNT(*) FROM customers",
            "events" => "SELECT COUNT(*) FROM events",
            "customer_merges" => "SELECT COUNT(*) FROM customer_merges",
            other => panic!("no count for {other}"),
        };
        sqlx::query_scalar(sql)
            .fetch_one(&self.ws.pool)
            .await
            .unwrap()
    }
}

pub fn lines(summary: &ImportSummary) -> Vec<usize> {
    summary.errors.iter().map(|e| e.line).collect()
}
