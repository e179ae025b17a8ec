//! The restore wizard as a pure state machine: `handle(event) -> effects`, no I/O. Steps:
//! database → point in time → target path and overwrite policy → review of the plan → typed
//! confirmation (only when overwriting) → progress → result. Esc backs out of every step
//! (except a running restore, which cannot be interrupted safely: it finishes or fails on its
//! own and leaves nothing half-written). The loop performs the effects and answers with
//! events (`TargetInspected`, `PlanReady`, `Progress`, `Finished`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tui_input::{Input, InputRequest};

use crate::ltx::Txid;
use crate::restore::{IntegrityCheck, RestoreTarget};

use super::palette::parse_time;
pub use super::wizard_io::{PlanSummary, RestoreSummary, WizardEffect, WizardEvent};

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WizardStep {
    /// Which database.
    Database,
    /// Which point in time.
    Point,
    /// Where to write, and whether to overwrite.
    Target,
    /// The plan: files, bytes, estimate.
    Review,
    /// Type the file name to confirm an overwrite.
    Confirm,
    /// The restore runs.
    Running,
    /// Finished (or failed).
    Done,
}

/// How the point in time is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointChoice {
    /// The timeline cursor (when the wizard was opened from the timeline).
    Cursor,
    /// The newest state.
    Latest,
    /// A typed TXID.
    Txid,
    /// A typed time.
    Time,
}

/// What to do when the target exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Stop: never replace an existing file.
    Refuse,
    /// Replace it (after a typed confirmation).
    Replace,
}

/// The wizard.
#[derive(Debug, Clone)]
pub struct WizardState {
    /// The current step.
    pub step: WizardStep,
    /// Databases to choose from (path, name).
    pub dbs: Vec<(PathBuf, String)>,
    /// Chosen database.
    pub db: usize,
    /// The timeline cursor the wizard was opened at (time, TXID there).
    pub cursor: Option<(DateTime<Utc>, Option<Txid>)>,
    /// How the point is chosen.
    pub point: PointChoice,
    /// The typed TXID or time.
    pub point_input: Input,
    /// The resolved point.
    pub target: RestoreTarget,
    /// The output path being typed.
    pub path: Input,
    /// Overwrite policy.
    pub overwrite: Overwrite,
    /// Whether the output exists (after inspection).
    pub exists: bool,
    /// The check after restoring.
    pub integrity: IntegrityCheck,
    /// The plan, once known.
    pub plan: Option<PlanSummary>,
    /// The typed confirmation.
    pub confirm: Input,
    /// Bytes and files fetched, and elapsed time, while running.
    pub progress: (u64, usize, u64),
    /// The outcome.
    pub result: Option<Result<RestoreSummary, String>>,
    /// What is wrong with the current step's input.
    pub error: Option<String>,
    /// Waiting for the loop (inspection or plan).
    pub busy: bool,
}

fn edit(input: &mut Input, event: &WizardEvent) -> bool {
    let req = match event {
        WizardEvent::Char(c) => InputRequest::InsertChar(*c),
        WizardEvent::Backspace => InputRequest::DeletePrevChar,
        WizardEvent::Left => InputRequest::GoToPrevChar,
        WizardEvent::Right => InputRequest::GoToNextChar,
        _ => return false,
    };
    input.handle(req);
    true
}

/// The default output for `db`: `<db>.restored` beside it.
pub fn default_output(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".restored");
    db.with_file_name(name)
}

impl WizardState {
    /// A wizard over `dbs`, starting at `selected`; opened from the timeline it starts at the
    /// point step with the cursor chosen.
    pub fn new(
        dbs: Vec<(PathBuf, String)>,
        selected: usize,
        cursor: Option<(DateTime<Utc>, Option<Txid>)>,
    ) -> WizardState {
        let db = selected.min(dbs.len().saturating_sub(1));
        let path = dbs
            .get(db)
            .map(|(p, _)| default_output(p).display().to_string())
            .unwrap_or_default();
        WizardState {
            step: if cursor.is_some() {
                WizardStep::Point
            } else {
                WizardStep::Database
            },
            dbs,
            db,
            point: if cursor.is_some() {
                PointChoice::Cursor
            } else {
                PointChoice::Latest
            },
            cursor,
            point_input: Input::default(),
            target: RestoreTarget::Latest,
            path: Input::new(path),
            overwrite: Overwrite::Refuse,
            exists: false,
            integrity: IntegrityCheck::Quick,
            plan: None,
            confirm: Input::default(),
            progress: (0, 0, 0),
            result: None,
            error: None,
            busy: false,
        }
    }

    /// The database chosen.
    pub fn db_path(&self) -> Option<&PathBuf> {
        self.dbs.get(self.db).map(|(p, _)| p)
    }

    /// The point choices offered.
    pub fn choices(&self) -> Vec<PointChoice> {
        let mut v = Vec::new();
        if self.cursor.is_some() {
            v.push(PointChoice::Cursor);
        }
        v.extend([PointChoice::Latest, PointChoice::Txid, PointChoice::Time]);
        v
    }

    /// True while the restore runs.
    pub fn is_running(&self) -> bool {
        self.step == WizardStep::Running
    }

    /// The name to type when confirming an overwrite.
    pub fn confirm_word(&self) -> String {
        Path::new(self.path.value())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn go(&mut self, step: WizardStep) {
        self.step = step;
        self.error = None;
        self.busy = false;
    }

    /// Handles one event at `now` (only used to resolve typed times).
    pub fn handle(&mut self, event: WizardEvent, now: DateTime<Utc>) -> Vec<WizardEffect> {
        use WizardEvent as E;
        use WizardStep as S;
        match (self.step, event) {
            (S::Running, E::Esc) => {
                self.error = Some("a running restore finishes or fails on its own".into());
                vec![]
            }
            (S::Done, E::Esc | E::Enter) | (S::Database, E::Esc) => vec![WizardEffect::Close],
            (S::Point, E::Esc) => {
                self.go(S::Database);
                vec![]
            }
            (S::Target, E::Esc) => {
                self.go(S::Point);
                vec![]
            }
            (S::Review, E::Esc) => {
                self.plan = None;
                self.go(S::Target);
                vec![]
            }
            (S::Confirm, E::Esc) => {
                self.confirm = Input::default();
                self.go(S::Review);
                vec![]
            }
            (S::Database, E::Up) => {
                self.db = self.db.saturating_sub(1);
                self.reset_path();
                vec![]
            }
            (S::Database, E::Down) => {
                self.db = (self.db + 1).min(self.dbs.len().saturating_sub(1));
                self.reset_path();
                vec![]
            }
            (S::Database, E::Enter) => {
                if self.dbs.is_empty() {
                    self.error = Some("no database to restore".into());
                } else {
                    self.go(S::Point);
                }
                vec![]
            }
            (S::Point, E::Up) => {
                self.move_point(false);
                vec![]
            }
            (S::Point, E::Down) => {
                self.move_point(true);
                vec![]
            }
            (S::Point, E::Enter) => {
                match self.resolve_point(now) {
                    Ok(target) => {
                        self.target = target;
                        self.go(S::Target);
                    }
                    Err(e) => self.error = Some(e),
                }
                vec![]
            }
            (S::Point, ev) => {
                if matches!(self.point, PointChoice::Txid | PointChoice::Time) {
                    edit(&mut self.point_input, &ev);
                }
                vec![]
            }
            (S::Target, E::Tab) => {
                self.overwrite = match self.overwrite {
                    Overwrite::Refuse => Overwrite::Replace,
                    Overwrite::Replace => Overwrite::Refuse,
                };
                self.error = None;
                vec![]
            }
            (S::Target, E::Enter) => match self.validate_path() {
                Ok(path) => {
                    self.busy = true;
                    self.error = None;
                    vec![WizardEffect::InspectTarget(path)]
                }
                Err(e) => {
                    self.error = Some(e);
                    vec![]
                }
            },
            (S::Target, E::TargetInspected { exists, dir_ok }) => {
                self.busy = false;
                self.exists = exists;
                if !dir_ok {
                    self.error = Some("its directory does not exist".into());
                    return vec![];
                }
                if exists && self.overwrite == Overwrite::Refuse {
                    self.error = Some("the file exists; Tab switches to overwrite".into());
                    return vec![];
                }
                let Some(db) = self.db_path().cloned() else {
                    return vec![];
                };
                self.go(S::Review);
                self.busy = true;
                self.plan = None;
                vec![WizardEffect::Plan {
                    db,
                    target: self.target,
                }]
            }
            (S::Target, ev) => {
                if edit(&mut self.path, &ev) {
                    self.error = None;
                }
                vec![]
            }
            (S::Review, E::PlanReady(result)) => {
                self.busy = false;
                match result {
                    Ok(plan) => self.plan = Some(plan),
                    Err(e) => self.error = Some(e),
                }
                vec![]
            }
            (S::Review, E::Tab) => {
                self.integrity = match self.integrity {
                    IntegrityCheck::None => IntegrityCheck::Quick,
                    IntegrityCheck::Quick => IntegrityCheck::Full,
                    IntegrityCheck::Full => IntegrityCheck::None,
                };
                vec![]
            }
            (S::Review, E::Enter) => {
                if self.plan.is_none() {
                    self.error = Some(if self.busy {
                        "the plan is still being made".into()
                    } else {
                        "there is no plan to run".into()
                    });
                    return vec![];
                }
                if self.exists {
                    self.go(S::Confirm);
                    return vec![];
                }
                self.start()
            }
            (S::Confirm, E::Enter) => {
                if self.confirm.value() == self.confirm_word() {
                    self.start()
                } else {
                    self.error = Some(format!("type {} to overwrite it", self.confirm_word()));
                    vec![]
                }
            }
            (S::Confirm, ev) => {
                edit(&mut self.confirm, &ev);
                vec![]
            }
            (
                S::Running,
                E::Progress {
                    bytes_fetched,
                    files_fetched,
                    elapsed_ms,
                },
            ) => {
                self.progress = (bytes_fetched, files_fetched, elapsed_ms);
                vec![]
            }
            (S::Running, E::Finished(result)) => {
                self.result = Some(result);
                self.go(S::Done);
                vec![]
            }
            _ => vec![],
        }
    }

    fn start(&mut self) -> Vec<WizardEffect> {
        let Some(db) = self.db_path().cloned() else {
            return vec![];
        };
        self.go(WizardStep::Running);
        self.progress = (0, 0, 0);
        vec![WizardEffect::Run {
            db,
            target: self.target,
            output: PathBuf::from(self.path.value()),
            force: self.exists && self.overwrite == Overwrite::Replace,
            integrity: self.integrity,
        }]
    }

    fn reset_path(&mut self) {
        if let Some((p, _)) = self.dbs.get(self.db) {
            self.path = Input::new(default_output(p).display().to_string());
        }
    }

    /// Moves the point selection (Up/Down on the point step).
    pub fn move_point(&mut self, down: bool) {
        let choices = self.choices();
        let i = choices.iter().position(|c| *c == self.point).unwrap_or(0);
        let j = if down {
            (i + 1).min(choices.len() - 1)
        } else {
            i.saturating_sub(1)
        };
        self.point = choices[j];
        self.point_input = Input::default();
        self.error = None;
    }

    fn resolve_point(&self, now: DateTime<Utc>) -> Result<RestoreTarget, String> {
        match self.point {
            PointChoice::Latest => Ok(RestoreTarget::Latest),
            PointChoice::Cursor => match self.cursor {
                Some((_, Some(txid))) => Ok(RestoreTarget::Txid(txid)),
                Some((t, None)) => Ok(RestoreTarget::Timestamp(t)),
                None => Err("no timeline cursor".into()),
            },
            PointChoice::Txid => {
                let text = self.point_input.value().trim();
                let hex = text.strip_prefix("0x").unwrap_or(text);
                match u64::from_str_radix(hex, 16) {
                    Ok(n) if n > 0 && !hex.is_empty() => Ok(RestoreTarget::Txid(Txid(n))),
                    _ => Err(format!(
                        "{text:?} is not a TXID (hex, e.g. 0000000000000a3f or a3f)"
                    )),
                }
            }
            PointChoice::Time => parse_time(self.point_input.value(), now)
                .map(RestoreTarget::Timestamp)
                .ok_or_else(|| {
                    format!(
                        "{:?} is not a time (HH:MM, HH:MM:SS, YYYY-MM-DD HH:MM or RFC 3339, UTC)",
                        self.point_input.value()
                    )
                }),
        }
    }

    fn validate_path(&self) -> Result<PathBuf, String> {
        let text = self.path.value().trim();
        if text.is_empty() {
            return Err("type where the database should be written".into());
        }
        if text.ends_with('/') {
            return Err("that is a directory; name the file".into());
        }
        let path = PathBuf::from(text);
        if !path.is_absolute() {
            return Err("use an absolute path".into());
        }
        if self.dbs.iter().any(|(p, _)| *p == path) {
            return Err(
                "that is a replicated database: the engine holds it open; restore beside it".into(),
            );
        }
        Ok(path)
    }
}

#[cfg(test)]
#[path = "wizard_tests.rs"]
mod tests;
