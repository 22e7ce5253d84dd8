//! Atomic file replacement: the bytes go to a temporary file beside the target, which is
//! synced and renamed over it, and the folder is synced so that the rename itself survives a
//! crash. A failed save removes its temporary file; temporaries left by killed runs are
//! removed by the next save to the same target.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

/// The temporary file names of `file_name`: `{file_name}.tmp{pid}`.
fn temp_name(file_name: &std::ffi::OsStr, pid: u32) -> OsString {
    let mut name = file_name.to_os_string();
    name.push(format!(".tmp{pid}"));
    name
}

/// Writes `bytes` to `path` atomically (see the module docs).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path has no file name"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    remove_stale_temporaries(dir, file_name);
    let tmp = dir.join(temp_name(file_name, std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_folder(dir)
}

/// Removes `{file_name}.tmp{pid}` files in `dir` whose process is gone: what a save killed
/// midway leaves behind.
fn remove_stale_temporaries(dir: &Path, file_name: &std::ffi::OsStr) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!("{}.tmp", file_name.to_string_lossy());
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix.as_str()))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && is_stale(pid, &entry) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether the temporary file of process `pid` is left over: the process no longer runs
/// (Linux), or the file is over an hour old (elsewhere, where that cannot be asked cheaply).
fn is_stale(pid: u32, entry: &std::fs::DirEntry) -> bool {
    if cfg!(target_os = "linux") {
        return !Path::new("/proc").join(pid.to_string()).exists();
    }
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() > 3600)
}

/// Makes a rename in `dir` durable.
fn sync_folder(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
