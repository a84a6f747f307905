//! Files the program creates are private to its account: directories 0700,
//! files 0600 (the database and its WAL, attachments, the key file). A
//! world-readable attachment or database is how helpdesks have leaked their
//! callers before (CWE-276); the umask of whoever starts the program must not
//! decide it.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents, each new one 0700.
pub(crate) fn private_dir_all(dir: &Path) -> io::Result<()> {
    let mut b = DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Opens `path` for writing, created 0600 (truncated if it exists).
pub(crate) fn create_private(path: &Path) -> io::Result<File> {
    private_options().create(true).truncate(true).open(path)
}

/// Options that create a file 0600.
pub(crate) fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Makes sure a SQLite database file exists and is 0600 before SQLite opens
/// it: SQLite gives the `-wal` and `-shm` files it creates the mode of the
/// database file. An existing file keeps its content; its mode is
/// tightened.
pub(crate) fn prepare_sqlite_file(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        private_dir_all(parent)?;
    }
    private_options().create(true).truncate(false).open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directories_are_private() {
        let base = std::env::temp_dir().join(format!("aiwei-files-{}", uuid::Uuid::now_v7()));
        let dir = base.join("a").join("b");
        private_dir_all(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&base.join("a")), 0o700);
        let f = dir.join("x");
        create_private(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        let db = base.join("db").join("aiwei.db");
        prepare_sqlite_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        prepare_sqlite_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
