//! Helpers shared by the `train` and `gallery` integration tests.

use std::path::{Path, PathBuf};

/// A fresh, empty folder for one test, removed when the test ends.
pub struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

/// A fresh folder `lossgraph-{suite}-{pid}-{name}` in the temporary directory: the process id keeps
/// concurrent test runs apart, the suite and name keep tests apart.
pub fn scratch(suite: &str, name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("lossgraph-{suite}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}
