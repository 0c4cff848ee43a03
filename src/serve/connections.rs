//! The server's connections, bounded so that idle or slow clients cannot keep real visitors
//! out: at most `max` open at once, and when all are taken the longest-idle one (not in the
//! middle of a request) is closed to admit the newcomer; a request's headers must arrive within
//! `HEADER_TIME` (slowloris), a keep-alive connection waits as long for its next request, and a
//! client that stops reading or sending for `STALL_TIME` is dropped.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinSet;

/// Time for a request's headers to arrive, and for a kept-alive connection's next request.
const HEADER_TIME: Duration = Duration::from_secs(10);
/// Time a read or write may make no progress at all.
const STALL_TIME: Duration = Duration::from_secs(30);
/// Time requests in flight get to finish when the server stops.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// How many connections may be open at once: well below the process's file limit (each takes
/// a descriptor; the workspace, its journal and the site's files need some too).
pub fn connection_limit() -> usize {
    let mut limit = libc_rlimit_nofile().unwrap_or(1024);
    limit = limit.saturating_sub(128).max(64);
    limit.min(8192) as usize
}

fn libc_rlimit_nofile() -> Option<u64> {
    // /proc/self/limits rather than getrlimit: no unsafe code for one number.
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// One open connection, as the accept loop sees it.
struct Tracked {
    /// Requests being answered on it now.
    busy: AtomicUsize,
    /// When it last finished a request (or opened).
    idle_since: Mutex<Instant>,
    close: Notify,
    /// Asked to close already (not asked again).
    evicted: AtomicBool,
}

impl Tracked {
    fn idle_since(&self) -> Instant {
        *self
            .idle_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Marks a connection busy while a request is answered (its response body included).
struct Busy(Arc<Tracked>);

impl Busy {
    fn new(tracked: &Arc<Tracked>) -> Busy {
        tracked.busy.fetch_add(1, Ordering::SeqCst);
        Busy(tracked.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        *self
            .0
            .idle_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Instant::now();
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its connection marked busy until it is all sent.
struct Guarded {
    inner: Body,
    _busy: Busy,
}

impl HttpBody for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Accepts and serves connections until `stop` turns true, then lets requests in flight finish
/// (for at most `DRAIN_TIME`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    max: usize,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(max));
    let open: Arc<Mutex<Vec<Arc<Tracked>>>> = Arc::default();
    let mut tasks = JoinSet::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIME)
        .max_buf_size(64 * 1024);
    loop {
        while tasks.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors or a connection reset before it was taken: go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                evict_longest_idle(&open);
                match tokio::time::timeout(
                    Duration::from_millis(500),
                    slots.clone().acquire_owned(),
                )
                .await
                {
                    Ok(Ok(permit)) => permit,
                    // Every connection is answering a request: this one waits for none.
                    _ => continue,
                }
            }
        };
        let tracked = Arc::new(Tracked {
            busy: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            close: Notify::new(),
            evicted: AtomicBool::new(false),
        });
        open.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(tracked.clone());
        let service = connection_service(router.clone(), peer, tracked.clone());
        let connection = builder.serve_connection(TokioIo::new(StallGuard::new(stream)), service);
        let mut stopping = stop.clone();
        let open = open.clone();
        tasks.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let mut closing = false;
            loop {
                tokio::select! {
                    _ = connection.as_mut() => break,
                    _ = tracked.close.notified(), if !closing => {
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                    _ = stopping.changed(), if !closing => {
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                }
            }
            open.lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .retain(|t| !Arc::ptr_eq(t, &tracked));
            drop(permit);
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN_TIME, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tasks.shutdown().await;
    }
    Ok(())
}

/// Asks the connection idle the longest to close (it finishes a response under way first).
fn evict_longest_idle(open: &Mutex<Vec<Arc<Tracked>>>) {
    let open = open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let idle = open
        .iter()
        .filter(|t| t.busy.load(Ordering::SeqCst) == 0 && !t.evicted.load(Ordering::SeqCst))
        .min_by_key(|t| t.idle_since());
    if let Some(t) = idle {
        t.evicted.store(true, Ordering::SeqCst);
        t.close.notify_one();
    }
}

/// The router as hyper calls it for one connection: the peer's address for handlers
/// (`ConnectInfo`), and the connection marked busy while a request is answered.
fn connection_service(
    router: Router,
    peer: SocketAddr,
    tracked: Arc<Tracked>,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = axum::response::Response<Guarded>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    let router = TowerToHyperService::new(router);
    service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let busy = Busy::new(&tracked);
        let answer = hyper::service::Service::call(&router, request);
        async move {
            let response = answer.await?;
            Ok::<_, Infallible>(response.map(|inner| Guarded { inner, _busy: busy }))
        }
    })
}

/// A socket whose reads and writes fail with `TimedOut` once they make no progress for
/// `STALL_TIME` (a client that stopped reading a large file, or sending its body).
struct StallGuard {
    inner: TcpStream,
    sleep: Pin<Box<tokio::time::Sleep>>,
    armed: bool,
}

impl StallGuard {
    fn new(inner: TcpStream) -> StallGuard {
        StallGuard {
            inner,
            sleep: Box::pin(tokio::time::sleep(STALL_TIME)),
            armed: false,
        }
    }

    fn watch<R>(
        &mut self,
        poll: Poll<std::io::Result<R>>,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<R>> {
        if poll.is_ready() {
            self.armed = false;
            return poll;
        }
        if !self.armed {
            self.armed = true;
            self.sleep
                .as_mut()
                .reset(tokio::time::Instant::now() + STALL_TIME);
        }
        match std::future::Future::poll(self.sleep.as_mut(), cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client stopped",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for StallGuard {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        // Waiting for the next request is bounded by hyper's header time, not here.
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for StallGuard {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(poll, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(poll, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(poll, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(poll, cx)
    }
}
