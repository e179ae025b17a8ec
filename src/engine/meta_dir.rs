//! The local meta directory, laid out exactly as Litestream lays it out so either tool can take
//! over from the other: `<dir>/.<name>-litestream/ltx/0/<min>-<max>.ltx` (or `meta-path`).
//!
//! It holds only L0 files; the local position is the highest L0 file. Files are written as
//! `<name>.tmp`, fsynced, renamed, and the directory fsynced, so a crash leaves either the whole
//! file or a `.tmp` that the next start removes. Nothing here talks to the replica.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::ltx::{DecodeSummary, Decoder, FileName, Header, Txid};

use super::EngineError;

/// The meta directory of one database.
#[derive(Debug, Clone)]
pub struct MetaDir {
    root: PathBuf,
}

impl MetaDir {
    /// The default meta directory for `db_path`: `<dir>/.<file name>-litestream`.
    pub fn default_for(db_path: &Path) -> PathBuf {
        let name = db_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        db_path.with_file_name(format!(".{name}-litestream"))
    }

    /// Opens (creating if needed) the meta directory at `root` and removes leftover `.tmp` files.
    pub fn open(root: PathBuf) -> Result<Self, EngineError> {
        let meta = MetaDir { root };
        let l0 = meta.l0_dir();
        fs::create_dir_all(&l0).map_err(|e| EngineError::io("creating meta directory", &l0, e))?;
        for entry in
            fs::read_dir(&l0).map_err(|e| EngineError::io("listing meta directory", &l0, e))?
        {
            let path = entry
                .map_err(|e| EngineError::io("listing meta directory", &l0, e))?
                .path();
            if path.extension().is_some_and(|x| x == "tmp") {
                fs::remove_file(&path)
                    .map_err(|e| EngineError::io("removing leftover temp file", &path, e))?;
            }
        }
        Ok(meta)
    }

    /// The meta directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/ltx/0`.
    pub fn l0_dir(&self) -> PathBuf {
        self.root.join("ltx").join("0")
    }

    /// Path of the L0 file for `txid`.
    pub fn l0_path(&self, txid: Txid) -> PathBuf {
        self.l0_dir().join(FileName::new(txid, txid).to_string())
    }

    /// Every L0 file name, sorted by TXID; names that are not LTX file names are ignored.
    pub fn list_l0(&self) -> Result<Vec<FileName>, EngineError> {
        let dir = self.l0_dir();
        let mut names: Vec<FileName> = fs::read_dir(&dir)
            .map_err(|e| EngineError::io("listing L0 files", &dir, e))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The highest local L0 file, if any.
    pub fn max_l0(&self) -> Result<Option<FileName>, EngineError> {
        Ok(self.list_l0()?.pop())
    }

    /// Reads and fully verifies an L0 file, as Litestream's `DB.Pos` does for the newest one.
    pub fn verify_l0(&self, name: FileName) -> Result<DecodeSummary, EngineError> {
        let path = self.l0_dir().join(name.to_string());
        let file = File::open(&path).map_err(|e| EngineError::io("opening L0 file", &path, e))?;
        Decoder::new(BufReader::new(file))
            .and_then(Decoder::finish)
            .map_err(|source| EngineError::Ltx {
                path: path.clone(),
                source,
            })
    }

    /// Reads only the header of an L0 file.
    pub fn read_header(&self, name: FileName) -> Result<Header, EngineError> {
        let path = self.l0_dir().join(name.to_string());
        let file = File::open(&path).map_err(|e| EngineError::io("opening L0 file", &path, e))?;
        Decoder::new(BufReader::new(file))
            .map(|d| *d.header())
            .map_err(|source| EngineError::Ltx { path, source })
    }

    /// Writes an L0 file atomically: `write` fills a temp file, which is fsynced, renamed to
    /// the final name, and the directory fsynced. On any error the temp file is removed and no
    /// file appears under the final name. Returns the file size.
    pub fn write_l0(
        &self,
        txid: Txid,
        write: impl FnOnce(&mut BufWriter<File>) -> Result<(), EngineError>,
    ) -> Result<u64, EngineError> {
        self.write_l0_as(FileName::new(txid, txid), write)
    }

    /// [`MetaDir::write_l0`] for any L0 file name (a rolled-up `<min>-<max>.ltx`).
    pub fn write_l0_as(
        &self,
        name: FileName,
        write: impl FnOnce(&mut BufWriter<File>) -> Result<(), EngineError>,
    ) -> Result<u64, EngineError> {
        let size = self.write_l0_unsynced_name(name, write)?;
        sync_dir(&self.l0_dir())?;
        Ok(size)
    }

    /// [`MetaDir::write_l0_as`] without the directory fsync that makes the rename durable:
    /// for writing several files in a row, then [`MetaDir::sync_l0_dir`] once.
    pub fn write_l0_unsynced_name(
        &self,
        name: FileName,
        write: impl FnOnce(&mut BufWriter<File>) -> Result<(), EngineError>,
    ) -> Result<u64, EngineError> {
        let path = self.l0_dir().join(name.to_string());
        let tmp = path.with_extension("ltx.tmp");
        let result = (|| {
            let file = File::create(&tmp)
                .map_err(|e| EngineError::io("creating L0 temp file", &tmp, e))?;
            let mut w = BufWriter::with_capacity(256 * 1024, file);
            write(&mut w)?;
            w.flush()
                .map_err(|e| EngineError::io("writing L0 file", &tmp, e))?;
            let file = w
                .into_inner()
                .map_err(|e| EngineError::io("writing L0 file", &tmp, e.into_error()))?;
            file.sync_all()
                .map_err(|e| EngineError::io("fsyncing L0 file", &tmp, e))?;
            let size = file
                .metadata()
                .map_err(|e| EngineError::io("sizing L0 file", &tmp, e))?
                .len();
            fs::rename(&tmp, &path).map_err(|e| EngineError::io("renaming L0 file", &path, e))?;
            Ok(size)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// fsyncs the L0 directory (after [`MetaDir::write_l0_unsynced_name`]).
    pub fn sync_l0_dir(&self) -> Result<(), EngineError> {
        sync_dir(&self.l0_dir())
    }

    /// Deletes the given L0 files (missing files are not an error).
    pub fn delete_l0(&self, names: &[FileName]) -> Result<(), EngineError> {
        for name in names {
            let path = self.l0_dir().join(name.to_string());
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(EngineError::io("deleting L0 file", &path, e)),
            }
        }
        Ok(())
    }

    /// Removes every local L0 file (`litestream reset`): the next sync starts a new snapshot.
    pub fn wipe(&self) -> Result<(), EngineError> {
        let names = self.list_l0()?;
        self.delete_l0(&names)?;
        sync_dir(&self.l0_dir())
    }
}

/// fsyncs a directory so a rename in it is durable.
pub fn sync_dir(dir: &Path) -> Result<(), EngineError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| EngineError::io("fsyncing directory", dir, e))
}
