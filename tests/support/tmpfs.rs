//! A tiny tmpfs for disk-full tests: `mount -t tmpfs -o size=<bytes> … <dir>`, unmounted on
//! drop. Mounting needs root (or CAP_SYS_ADMIN); [`Tmpfs::mount`] returns why it could not,
//! so a test can fall back to another real ENOSPC source and say so (never skip silently).
//!
//! [`Tmpfs::fill`] writes a filler file until the kernel answers ENOSPC; removing it gives the
//! space back.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// ENOSPC on Linux.
pub const ENOSPC: i32 = 28;

/// A mounted tmpfs; unmounted (lazily, if busy) when dropped. Drop it before the temporary
/// directory it lives in.
pub struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Creates `dir` and mounts a tmpfs of `size_bytes` on it; `Err` holds the reason (usually
    /// "only root can do that").
    pub fn mount(dir: &Path, size_bytes: u64) -> Result<Tmpfs, String> {
        fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={size_bytes},mode=0755"))
            .arg("ltx-tui-test")
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs on {} failed ({}): {}",
                dir.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs {
            path: dir.to_path_buf(),
        })
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fills the file system with `<mount>/filler` until a write fails with ENOSPC, and
    /// returns the filler's path (remove it to give the space back). Panics on any other error.
    pub fn fill(&self) -> PathBuf {
        let path = self.path.join("filler");
        let mut file = File::create(&path).unwrap_or_else(|e| panic!("create filler: {e}"));
        let chunk = vec![0xA5u8; 16 * 1024];
        // Bounded: a tmpfs of a few MiB fills in a few hundred chunks.
        for _ in 0..1_000_000 {
            match file.write_all(&chunk).and_then(|()| file.sync_all()) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(ENOSPC) => return path,
                Err(e) => panic!("filling {}: {e}", self.path.display()),
            }
        }
        panic!("{} never filled up", self.path.display())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        }
    }
}

/// True when `e` is ENOSPC.
pub fn is_enospc(e: &io::Error) -> bool {
    e.raw_os_error() == Some(ENOSPC)
}
