//! Checks made on flag values before any work starts, so that a run never trains for an hour
//! and then fails on its output path, or aborts allocating a tensor that cannot exist.

use std::path::Path;

/// Checks an output file given by `flag` (`--save`, `--plot`, `--metrics`): the path must
/// name a file, not a folder; its folder is created if missing and must be writable.
/// `example` is a file name to suggest (`model.safetensors`).
///
/// ```
/// let dir = std::env::temp_dir().join(format!("check-doc-{}", std::process::id()));
/// let file = dir.join("new/folder/m.safetensors");
/// gallery::cli::check::output_file("--save", &file, "m.safetensors").unwrap();
/// assert!(dir.join("new/folder").is_dir()); // created
/// let err = gallery::cli::check::output_file("--save", &dir, "m.safetensors").unwrap_err();
/// assert!(err.contains("is a folder"));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn output_file(flag: &str, path: &Path, example: &str) -> Result<(), String> {
    let shown = path.display();
    let text = path.as_os_str().to_string_lossy();
    if text.is_empty() {
        return Err(format!("{flag} needs a file name, got an empty one"));
    }
    if path.is_dir() || text.ends_with(std::path::is_separator) {
        return Err(format!(
            "{flag} {shown}: is a folder; give a file name, such as {}",
            path.join(example).display()
        ));
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    writable_folder(flag, &shown.to_string(), folder)
}

/// Checks an output folder given by `flag` (`--out`): created if missing, and writable.
pub fn output_dir(flag: &str, path: &Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err(format!("{flag} needs a folder name, got an empty one"));
    }
    if path.exists() && !path.is_dir() {
        return Err(format!(
            "{flag} {}: is a file, not a folder",
            path.display()
        ));
    }
    writable_folder(flag, &path.display().to_string(), path)
}

/// Checks an input file given by `flag` (`--resume`): it must exist and be a file.
pub fn input_file(flag: &str, path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(format!(
            "{flag} {}: is a folder, not a file",
            path.display()
        )),
        Err(e) => Err(format!("{flag} {}: {e}", path.display())),
    }
}

/// Creates `folder` if needed and proves it writable by creating and removing a file in it.
fn writable_folder(flag: &str, shown: &str, folder: &Path) -> Result<(), String> {
    let fail = |what: &str, e: std::io::Error| {
        Err(format!("{flag} {shown}: {what} {}: {e}", folder.display()))
    };
    if let Err(e) = std::fs::create_dir_all(folder) {
        return fail("cannot create the folder", e);
    }
    let probe = folder.join(format!(".lossgraph-write-check-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => fail("cannot write in the folder", e),
    }
}

/// Checks that `bytes` of memory, which `what` needs, can exist: at most the memory
/// available (Linux's `MemAvailable`; elsewhere, at most what the address space can hold).
/// The error names the size so the flag can be lowered.
///
/// ```
/// assert!(gallery::cli::check::memory("--hidden 10", 40_000).is_ok());
/// let err = gallery::cli::check::memory("--hidden 100000000", 313_600_000_000_000).unwrap_err();
/// assert!(err.starts_with("--hidden 100000000 needs at least 313.6 TB of memory"), "{err}");
/// ```
pub fn memory(what: &str, bytes: u128) -> Result<(), String> {
    let limit = available_memory().map_or(isize::MAX as u128, u128::from);
    if bytes <= limit {
        return Ok(());
    }
    let available = match available_memory() {
        Some(a) => format!("{} are available", human_bytes(a.into())),
        None => "more than this machine can address".into(),
    };
    Err(format!(
        "{what} needs at least {} of memory, and {available}: choose a smaller value",
        human_bytes(bytes)
    ))
}

/// `MemAvailable` from `/proc/meminfo`, in bytes, where there is one.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// "313.6 GB", "4.0 KB": decimal units, one decimal.
fn human_bytes(bytes: u128) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}
