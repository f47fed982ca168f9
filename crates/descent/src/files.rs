//! Writing files safely: readers see the old file or the whole new one.

use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A CSV field as RFC 4180 writes it: quoted (with `"` doubled) when it
/// holds a comma, a quote or a line break, as is otherwise.
pub fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// Every file below `dir`, as paths relative to it, sorted.
pub fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    fn visit(dir: &Path, rel: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
        let here = dir.join(rel);
        for entry in std::fs::read_dir(&here).map_err(|e| Error::io(here.display(), e))? {
            let path = rel.join(entry.map_err(|e| Error::io(here.display(), e))?.file_name());
            if dir.join(&path).is_dir() {
                visit(dir, &path, found)?;
            } else {
                found.push(path);
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    visit(dir, Path::new(""), &mut found)?;
    found.sort();
    Ok(found)
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename: readers see the old file or the whole new one. The
/// directory is created if it does not exist.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir.display(), e))?;
    tmp.write_all(bytes).and_then(|_| tmp.as_file().sync_all()).map_err(|e| Error::io(tmp.path().display(), e))?;
    // Temp files are created private (0600); the result is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let perms = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(tmp.path(), perms).map_err(|e| Error::io(tmp.path().display(), e))?;
    }
    tmp.persist(path).map_err(|e| Error::io(path.display(), e.error))?;
    Ok(())
}
