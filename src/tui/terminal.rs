//! The terminal: raw mode and the alternate screen while the console runs, restored on every
//! way out (normal exit, error, panic through the color-eyre hook, suspend). Frames are
//! written through [`ConsoleBackend`], which buffers a frame, drops it entirely when nothing
//! changed (not even a cursor hide is sent), and wraps what is sent in synchronized output
//! (DEC mode 2026) so terminals never show half a frame.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{execute, queue};
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

static ACTIVE: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);
/// Bytes the console has written to the terminal (frames only).
pub static BYTES_WRITTEN: AtomicU64 = AtomicU64::new(0);

/// Puts the terminal back: mouse off, main screen, cursor shown, raw mode off. Safe to call
/// more than once and from the panic hook.
pub fn restore_terminal() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    if MOUSE.load(Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, EndSynchronizedUpdate, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
}

/// Owns the terminal mode; restores it when dropped.
#[derive(Debug)]
pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen (and mouse capture when `mouse`), after
    /// installing the panic hook that restores the terminal before the report is printed.
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        MOUSE.store(mouse, Ordering::SeqCst);
        let mut out = io::stdout();
        execute!(out, EnterAlternateScreen, Hide)?;
        if mouse {
            execute!(out, EnableMouseCapture)?;
        }
        Ok(TerminalGuard { _private: () })
    }

    /// Leaves the terminal to the shell (Ctrl-Z), stops the process until `SIGCONT`, then
    /// takes the terminal back.
    pub fn suspend(&self) -> io::Result<()> {
        let mouse = MOUSE.load(Ordering::SeqCst);
        restore_terminal();
        // The default action of SIGTSTP stops the process; execution continues here on SIGCONT.
        signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = io::stdout();
        execute!(out, EnterAlternateScreen, Hide)?;
        if mouse {
            execute!(out, EnableMouseCapture)?;
        }
        Ok(())
    }

    /// Turns mouse capture on or off.
    pub fn set_mouse(&self, on: bool) -> io::Result<()> {
        MOUSE.store(on, Ordering::SeqCst);
        if on {
            execute!(io::stdout(), EnableMouseCapture)
        } else {
            execute!(io::stdout(), DisableMouseCapture)
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    let _ = eyre_hook.install();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        eprintln!("{}", panic_hook.panic_report(info));
    }));
}

/// A frame buffer in front of stdout: collects one frame's bytes; on flush sends them, inside
/// synchronized output, only if there are any.
#[derive(Debug, Default, Clone)]
pub struct FrameWriter {
    buf: Arc<Mutex<Vec<u8>>>,
}

impl FrameWriter {
    fn take(&self) -> Vec<u8> {
        self.buf
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}

impl Write for FrameWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Ok(mut b) = self.buf.lock() {
            b.extend_from_slice(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The backend: crossterm, with cursor commands sent only when the cursor changes and each
/// non-empty frame wrapped in synchronized output.
#[derive(Debug)]
pub struct ConsoleBackend {
    inner: CrosstermBackend<FrameWriter>,
    frame: FrameWriter,
    cursor_visible: Option<bool>,
    cursor_at: Option<Position>,
}

impl Default for ConsoleBackend {
    fn default() -> Self {
        let frame = FrameWriter::default();
        ConsoleBackend {
            inner: CrosstermBackend::new(frame.clone()),
            frame,
            cursor_visible: Some(false),
            cursor_at: None,
        }
    }
}

impl ConsoleBackend {
    /// Forgets what the terminal shows (after a suspend): the next frame repaints everything.
    pub fn invalidate(&mut self) {
        self.cursor_visible = None;
        self.cursor_at = None;
    }
}

impl Backend for ConsoleBackend {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_some() {
            // Cells moved the terminal's cursor.
            self.cursor_at = None;
            self.inner.draw(content)?;
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.cursor_visible != Some(false) {
            queue!(self.inner, Hide)?;
            self.cursor_visible = Some(false);
        }
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.cursor_visible != Some(true) {
            queue!(self.inner, Show)?;
            self.cursor_visible = Some(true);
        }
        Ok(())
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor_at.unwrap_or_default())
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let p = position.into();
        if self.cursor_at != Some(p) {
            queue!(self.inner, MoveTo(p.x, p.y))?;
            self.cursor_at = Some(p);
        }
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.cursor_at = None;
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        let (w, h) = crossterm::terminal::size()?;
        Ok(Size::new(w, h))
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)?;
        let buf = self.frame.take();
        if buf.is_empty() {
            return Ok(());
        }
        let mut out = io::stdout().lock();
        queue!(out, BeginSynchronizedUpdate)?;
        out.write_all(&buf)?;
        queue!(out, EndSynchronizedUpdate)?;
        out.flush()?;
        BYTES_WRITTEN.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}
