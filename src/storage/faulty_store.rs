//! An `ObjectStore` wrapper that fails or stalls calls on demand, for the engine's fault
//! tests: per operation kind (GET/PUT/LIST/DELETE) a [`FaultPlan`] gives the fraction of calls
//! that fail and the fraction that stall (and for how long), drawn from a seeded RNG so a run
//! is reproducible; [`FaultControl::fail_next`] fails the next N calls outright. Plans can be
//! switched at any time through the shared [`FaultControl`] handle, while the store is in use.
//!
//! A stall is a `tokio::time::sleep` before the call reaches the inner store (so it honours
//! `tokio::time::pause`). An injected failure never reaches the inner store and is an
//! `object_store::Error::Generic` from the store named [`FAULTY_STORE_NAME`] (its metrics code
//! is `InjectedFault`; see [`is_injected_fault`]). A listing or delete stream decides once per
//! call; with a failure, a delete stream fails every location it is given.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};

use super::operation_metrics::OperationKind;

/// The `store` name of injected errors.
pub const FAULTY_STORE_NAME: &str = "FaultyStore";

/// What to inject into the calls of one operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaultPlan {
    /// Fraction of calls (0.0..=1.0) that fail.
    pub error_rate: f64,
    /// Fraction of calls (0.0..=1.0) that are delayed by [`FaultPlan::stall`] first.
    pub stall_rate: f64,
    /// How long a stalled call waits.
    pub stall: Duration,
}

impl FaultPlan {
    /// No faults.
    pub const NONE: FaultPlan = FaultPlan {
        error_rate: 0.0,
        stall_rate: 0.0,
        stall: Duration::ZERO,
    };

    /// Fails `rate` of the calls.
    pub fn errors(rate: f64) -> FaultPlan {
        FaultPlan {
            error_rate: rate,
            ..FaultPlan::NONE
        }
    }

    /// Delays `rate` of the calls by `stall`.
    pub fn stalls(rate: f64, stall: Duration) -> FaultPlan {
        FaultPlan {
            stall_rate: rate,
            stall,
            ..FaultPlan::NONE
        }
    }
}

/// The error inside an injected `object_store::Error::Generic`.
#[derive(Debug, thiserror::Error)]
#[error("injected {operation} fault")]
pub struct InjectedFault {
    /// The operation kind that was failed.
    pub operation: OperationKind,
}

/// True if `err` was injected by a [`FaultyStore`].
pub fn is_injected_fault(err: &object_store::Error) -> bool {
    matches!(err, object_store::Error::Generic { store, .. } if *store == FAULTY_STORE_NAME)
}

/// SplitMix64: tiny, seeded, good enough to spread faults evenly.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug)]
struct FaultState {
    rng: SplitMix64,
    plans: [FaultPlan; 4],
    fail_next: [u64; 4],
    injected_errors: [u64; 4],
    injected_stalls: [u64; 4],
}

/// What happens to one call.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Decision {
    stall: Option<Duration>,
    fail: bool,
}

/// The shared switchboard of a [`FaultyStore`]: cheap to clone, changes apply to the next call.
#[derive(Debug, Clone)]
pub struct FaultControl {
    state: Arc<Mutex<FaultState>>,
}

impl FaultControl {
    /// No faults yet; `seed` fixes the sequence of random draws.
    pub fn new(seed: u64) -> FaultControl {
        FaultControl {
            state: Arc::new(Mutex::new(FaultState {
                rng: SplitMix64(seed),
                plans: [FaultPlan::NONE; 4],
                fail_next: [0; 4],
                injected_errors: [0; 4],
                injected_stalls: [0; 4],
            })),
        }
    }

    /// Sets the plan of `op`.
    pub fn set_plan(&self, op: OperationKind, plan: FaultPlan) {
        self.lock().plans[op.index()] = plan;
    }

    /// Sets the plan of every operation kind.
    pub fn set_all(&self, plan: FaultPlan) {
        self.lock().plans = [plan; 4];
    }

    /// The current plan of `op`.
    pub fn plan(&self, op: OperationKind) -> FaultPlan {
        self.lock().plans[op.index()]
    }

    /// Fails the next `n` calls of `op` (before any random plan applies).
    pub fn fail_next(&self, op: OperationKind, n: u64) {
        self.lock().fail_next[op.index()] = n;
    }

    /// Removes every plan and pending `fail_next`: calls pass through untouched.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.plans = [FaultPlan::NONE; 4];
        state.fail_next = [0; 4];
    }

    /// How many calls of `op` were failed so far.
    pub fn injected_errors(&self, op: OperationKind) -> u64 {
        self.lock().injected_errors[op.index()]
    }

    /// How many calls of `op` were stalled so far.
    pub fn injected_stalls(&self, op: OperationKind) -> u64 {
        self.lock().injected_stalls[op.index()]
    }

    fn decide(&self, op: OperationKind) -> Decision {
        let mut state = self.lock();
        let i = op.index();
        let plan = state.plans[i];
        // Always two draws per call, so the sequence depends only on the calls made.
        let stall_draw = state.rng.next_f64();
        let fail_draw = state.rng.next_f64();
        let forced = state.fail_next[i] > 0;
        if forced {
            state.fail_next[i] -= 1;
        }
        let stall =
            (plan.stall_rate > 0.0 && stall_draw < plan.stall_rate && !plan.stall.is_zero())
                .then_some(plan.stall);
        let fail = forced || (plan.error_rate > 0.0 && fail_draw < plan.error_rate);
        if stall.is_some() {
            state.injected_stalls[i] += 1;
        }
        if fail {
            state.injected_errors[i] += 1;
        }
        Decision { stall, fail }
    }

    fn lock(&self) -> MutexGuard<'_, FaultState> {
        // The state holds plain counters: still consistent after a panic elsewhere.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Wraps a store and applies the [`FaultControl`]'s plans to its calls.
#[derive(Debug)]
pub struct FaultyStore {
    inner: Arc<dyn ObjectStore>,
    control: FaultControl,
}

impl FaultyStore {
    /// Wraps `inner`; faults follow `control`.
    pub fn new(inner: Arc<dyn ObjectStore>, control: FaultControl) -> FaultyStore {
        FaultyStore { inner, control }
    }

    /// The switchboard.
    pub fn control(&self) -> &FaultControl {
        &self.control
    }

    /// Stalls if planned; returns the injected error if the call must fail.
    async fn enter(&self, op: OperationKind) -> Result<()> {
        enter(&self.control, op).await
    }
}

async fn enter(control: &FaultControl, op: OperationKind) -> Result<()> {
    let decision = control.decide(op);
    if let Some(stall) = decision.stall {
        tokio::time::sleep(stall).await;
    }
    if decision.fail {
        Err(injected(op))
    } else {
        Ok(())
    }
}

fn injected(op: OperationKind) -> object_store::Error {
    object_store::Error::Generic {
        store: FAULTY_STORE_NAME,
        source: Box::new(InjectedFault { operation: op }),
    }
}

impl fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Faulty({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.enter(OperationKind::Put).await?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.enter(OperationKind::Put).await?;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.enter(OperationKind::Get).await?;
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let control = self.control.clone();
        let inner = Arc::clone(&self.inner);
        stream::once(async move {
            match enter(&control, OperationKind::Delete).await {
                Ok(()) => inner.delete_stream(locations),
                Err(_) => locations
                    .map(|_| Err(injected(OperationKind::Delete)))
                    .boxed(),
            }
        })
        .flatten()
        .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let control = self.control.clone();
        let inner = Arc::clone(&self.inner);
        let prefix = prefix.cloned();
        stream::once(async move {
            match enter(&control, OperationKind::List).await {
                Ok(()) => inner.list(prefix.as_ref()),
                Err(e) => stream::iter([Err(e)]).boxed(),
            }
        })
        .flatten()
        .boxed()
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let control = self.control.clone();
        let inner = Arc::clone(&self.inner);
        let prefix = prefix.cloned();
        let offset = offset.clone();
        stream::once(async move {
            match enter(&control, OperationKind::List).await {
                Ok(()) => inner.list_with_offset(prefix.as_ref(), &offset),
                Err(e) => stream::iter([Err(e)]).boxed(),
            }
        })
        .flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.enter(OperationKind::List).await?;
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.enter(OperationKind::Put).await?;
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.enter(OperationKind::Put).await?;
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt;
    use object_store::memory::InMemory;

    fn store(seed: u64) -> (FaultyStore, FaultControl) {
        let control = FaultControl::new(seed);
        (
            FaultyStore::new(Arc::new(InMemory::new()), control.clone()),
            control,
        )
    }

    async fn put_outcomes(store: &FaultyStore, n: usize) -> Vec<bool> {
        let mut out = Vec::new();
        for i in 0..n {
            let path = Path::from(format!("k{i}"));
            out.push(
                store
                    .put(&path, PutPayload::from_static(b"x"))
                    .await
                    .is_ok(),
            );
        }
        out
    }

    #[tokio::test]
    async fn the_same_seed_fails_the_same_calls() {
        let (a, ca) = store(7);
        let (b, cb) = store(7);
        ca.set_plan(OperationKind::Put, FaultPlan::errors(0.3));
        cb.set_plan(OperationKind::Put, FaultPlan::errors(0.3));
        let (ra, rb) = (put_outcomes(&a, 200).await, put_outcomes(&b, 200).await);
        assert_eq!(ra, rb);
        let failed = ra.iter().filter(|ok| !**ok).count();
        assert!(
            (30..=90).contains(&failed),
            "{failed} of 200 failed at rate 0.3"
        );
        assert_eq!(ca.injected_errors(OperationKind::Put), failed as u64);
    }

    #[tokio::test]
    async fn plans_switch_at_runtime_and_only_hit_their_kind() {
        let (s, control) = store(1);
        control.set_plan(OperationKind::Get, FaultPlan::errors(1.0));
        s.put(&Path::from("a"), PutPayload::from_static(b"x"))
            .await
            .unwrap();
        let err = s.get(&Path::from("a")).await.unwrap_err();
        assert!(is_injected_fault(&err), "{err}");
        let listed: Vec<_> = s.list(None).collect().await;
        assert!(listed.iter().all(Result::is_ok));
        control.clear();
        assert!(s.get(&Path::from("a")).await.is_ok());
    }

    #[tokio::test]
    async fn fail_next_fails_exactly_n_calls_including_streams() {
        let (s, control) = store(3);
        control.fail_next(OperationKind::List, 2);
        for _ in 0..2 {
            let first = s.list(None).next().await;
            assert!(matches!(first, Some(Err(ref e)) if is_injected_fault(e)));
        }
        let third: Vec<_> = s.list(None).collect().await;
        assert!(third.is_empty());
        control.fail_next(OperationKind::Delete, 1);
        let locations = stream::iter([Ok(Path::from("x")), Ok(Path::from("y"))]).boxed();
        let results: Vec<_> = s.delete_stream(locations).collect().await;
        assert_eq!(results.len(), 2);
        assert!(results.iter().all(Result::is_err));
    }

    #[tokio::test]
    async fn stalls_delay_the_call_by_the_planned_time() {
        let (s, control) = store(5);
        let stall = Duration::from_millis(40);
        control.set_plan(OperationKind::Put, FaultPlan::stalls(1.0, stall));
        let started = tokio::time::Instant::now();
        s.put(&Path::from("a"), PutPayload::from_static(b"x"))
            .await
            .unwrap();
        assert!(started.elapsed() >= stall, "{:?}", started.elapsed());
        assert_eq!(control.injected_stalls(OperationKind::Put), 1);
    }
}
