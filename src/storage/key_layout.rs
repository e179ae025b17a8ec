//! Where an LTX file lives inside a replica, per backend, exactly as Litestream 0.5.17 writes
//! it (checked against the real binary by `tests/storage_litestream_layout.rs`):
//!
//! ```text
//! file, gs, abs (and memory):  <path>/ltx/<level in decimal>/<min>-<max>.ltx
//! s3 (and oss):                <path>/<level as %04x>/<min>-<max>.ltx      e.g. dbs/app/0009/…
//! ```
//!
//! `<min>` and `<max>` are 16 lowercase hex digits. The layout maps both ways: a (level, file
//! name) to a key, and a listed key back to its level and name (anything else is not an LTX
//! file of this replica and is skipped by listings).

use object_store::path::Path;

use super::ReplicaKind;
use crate::ltx::FileName;

/// How a backend names the directory of one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LevelDirStyle {
    /// `ltx/<level in decimal>` (Litestream's `LTXLevelDir`: file, gs, abs).
    LtxDecimal,
    /// `<level as %04x>` directly under the path (what Litestream 0.5.17's S3 client writes).
    Hex4,
}

/// The key layout of one replica: its root prefix and its level directory style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLayout {
    root: Path,
    style: LevelDirStyle,
}

impl KeyLayout {
    /// The layout Litestream 0.5.17 uses for `kind`, under `root`.
    pub fn for_kind(kind: ReplicaKind, root: Path) -> KeyLayout {
        let style = match kind {
            ReplicaKind::S3 => LevelDirStyle::Hex4,
            ReplicaKind::File | ReplicaKind::Gs | ReplicaKind::Abs | ReplicaKind::Memory => {
                LevelDirStyle::LtxDecimal
            }
        };
        KeyLayout { root, style }
    }

    /// A layout with an explicit style.
    pub fn new(root: Path, style: LevelDirStyle) -> KeyLayout {
        KeyLayout { root, style }
    }

    /// The replica's root prefix (empty for a bucket root).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The level directory style.
    pub fn style(&self) -> LevelDirStyle {
        self.style
    }

    /// The prefix under which the level directories live: `<root>/ltx` or `<root>`.
    pub fn levels_parent(&self) -> Path {
        match self.style {
            LevelDirStyle::LtxDecimal => self.root.clone().join("ltx"),
            LevelDirStyle::Hex4 => self.root.clone(),
        }
    }

    /// The name of `level`'s directory: `7` or `0007`.
    pub fn level_dir_name(&self, level: u8) -> String {
        match self.style {
            LevelDirStyle::LtxDecimal => level.to_string(),
            LevelDirStyle::Hex4 => format!("{level:04x}"),
        }
    }

    /// The prefix of `level`'s files.
    pub fn level_dir(&self, level: u8) -> Path {
        self.levels_parent().join(self.level_dir_name(level))
    }

    /// The key of file `name` at `level`.
    pub fn ltx_key(&self, level: u8, name: FileName) -> Path {
        self.level_dir(level).join(name.to_string())
    }

    /// The level a directory name denotes (`"7"` or `"0007"`), if it is one. Decimal levels
    /// are accepted without leading zeros only, as Litestream writes them.
    pub fn parse_level_dir_name(&self, dir: &str) -> Option<u8> {
        match self.style {
            LevelDirStyle::LtxDecimal => {
                let canonical = dir.bytes().all(|b| b.is_ascii_digit())
                    && !dir.is_empty()
                    && (dir == "0" || !dir.starts_with('0'));
                canonical.then(|| dir.parse().ok()).flatten()
            }
            LevelDirStyle::Hex4 => {
                let canonical =
                    dir.len() == 4 && dir.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                canonical
                    .then(|| u16::from_str_radix(dir, 16).ok())
                    .flatten()
                    .and_then(|l| u8::try_from(l).ok())
            }
        }
    }

    /// The level and file name of a listed key, if the key is an LTX file of this replica
    /// (`<levels parent>/<level dir>/<min>-<max>.ltx` and nothing deeper).
    pub fn parse_key(&self, key: &Path) -> Option<(u8, FileName)> {
        let parent = self.levels_parent();
        let mut rest = key.prefix_match(&parent)?;
        let level = self.parse_level_dir_name(rest.next()?.as_ref())?;
        let name: FileName = rest.next()?.as_ref().parse().ok()?;
        rest.next().is_none().then_some((level, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ltx::Txid;

    fn name(min: u64, max: u64) -> FileName {
        FileName::new(Txid(min), Txid(max))
    }

    #[test]
    fn s3_uses_four_hex_digit_level_dirs_without_ltx() {
        let layout = KeyLayout::for_kind(ReplicaKind::S3, Path::from("dbs/app"));
        assert_eq!(
            layout.ltx_key(9, name(1, 0x2a)).as_ref(),
            "dbs/app/0009/0000000000000001-000000000000002a.ltx"
        );
        assert_eq!(layout.level_dir(10).as_ref(), "dbs/app/000a");
    }

    #[test]
    fn file_gs_abs_use_ltx_and_decimal_levels() {
        for kind in [ReplicaKind::File, ReplicaKind::Gs, ReplicaKind::Abs] {
            let layout = KeyLayout::for_kind(kind, Path::from("dbs/app"));
            assert_eq!(
                layout.ltx_key(10, name(3, 3)).as_ref(),
                "dbs/app/ltx/10/0000000000000003-0000000000000003.ltx"
            );
        }
        let at_root = KeyLayout::for_kind(ReplicaKind::File, Path::default());
        assert_eq!(
            at_root.ltx_key(0, name(1, 1)).as_ref(),
            "ltx/0/0000000000000001-0000000000000001.ltx"
        );
    }

    #[test]
    fn keys_parse_back_and_strays_do_not() {
        for kind in [ReplicaKind::S3, ReplicaKind::File] {
            let layout = KeyLayout::for_kind(kind, Path::from("db"));
            for level in [0u8, 1, 9, 10, 255] {
                let key = layout.ltx_key(level, name(5, 9));
                assert_eq!(layout.parse_key(&key), Some((level, name(5, 9))));
            }
            let dir = layout.level_dir(0);
            for stray in [
                dir.clone()
                    .join("0000000000000005-0000000000000009.ltx.tmp"),
                dir.clone().join("README"),
                dir.clone()
                    .join("sub")
                    .join("0000000000000005-0000000000000009.ltx"),
                Path::from("other/ltx/0/0000000000000005-0000000000000009.ltx"),
                Path::from("db/00/0000000000000005-0000000000000009.ltx"),
                Path::from("db/ltx/00/0000000000000005-0000000000000009.ltx"),
            ] {
                assert_eq!(layout.parse_key(&stray), None, "{stray}");
            }
        }
    }
}
