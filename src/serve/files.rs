//! Files as HTTP responses: streamed a piece at a time as the client reads (a large video asset
//! holds 64 KiB per slow reader, not the whole file), with byte ranges answered (206, or 416
//! for a range past the end) so that players can seek, and a validator (`ETag`) that `If-Range`
//! is checked against.

use std::io::{Read, Seek, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use crate::microsites::files::media_type;

/// Files up to this size are read at once, in place (a hop to a blocking thread costs more).
const SMALL: u64 = 64 * 1024;
/// The piece streamed at a time.
const PIECE: usize = 64 * 1024;

/// An open file of the served folder.
pub struct ServedFile {
    pub file: std::fs::File,
    pub len: u64,
    /// Changes whenever the file does (size and modification time).
    pub etag: String,
}

impl ServedFile {
    /// `file`, opened, with its metadata (a regular file, checked).
    pub fn new(file: std::fs::File, meta: &std::fs::Metadata) -> ServedFile {
        use std::os::unix::fs::MetadataExt;
        ServedFile {
            file,
            len: meta.len(),
            etag: format!(
                "\"{:x}-{:x}\"",
                meta.len(),
                meta.mtime_nsec() ^ (meta.mtime() << 30)
            ),
        }
    }
}

/// What `Range` asks of a file of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    Whole,
    /// First and last byte, inclusive.
    Part(u64, u64),
    Unsatisfiable,
}

/// A single `bytes=` range (several ranges, or units other than bytes, get the whole file: a
/// server may always answer so).
fn wanted(headers: &HeaderMap, len: u64, etag: &str) -> Wanted {
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Wanted::Whole;
    };
    // A range of a version of the file the client no longer has: the whole new one.
    if let Some(if_range) = headers.get(header::IF_RANGE) {
        if if_range.as_bytes() != etag.as_bytes() {
            return Wanted::Whole;
        }
    }
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (number(first), number(last)) {
        // bytes=-N: the last N bytes.
        (None, Some(n)) if first.trim().is_empty() => {
            if n == 0 || len == 0 {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(len.saturating_sub(n), len - 1)
            }
        }
        (Some(a), None) if last.trim().is_empty() => {
            if a >= len {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(a, len - 1)
            }
        }
        (Some(a), Some(b)) if a <= b => {
            if a >= len {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(a, b.min(len - 1))
            }
        }
        // Malformed: ignored, as the standard says.
        _ => Wanted::Whole,
    }
}

/// The response for `served` (`file` names its media type), the part `headers` ask for; no
/// body for a HEAD.
pub fn respond(
    file: &str,
    mut served: ServedFile,
    headers: &HeaderMap,
    cache: &'static str,
    with_body: bool,
) -> Response {
    let len = served.len;
    let (status, start, count) = match wanted(headers, len, &served.etag) {
        Wanted::Whole => (StatusCode::OK, 0, len),
        Wanted::Part(a, b) => (StatusCode::PARTIAL_CONTENT, a, b - a + 1),
        Wanted::Unsatisfiable => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
    };
    let body = if !with_body || count == 0 {
        Body::empty()
    } else if count <= SMALL {
        let mut bytes = vec![0; count as usize];
        let read = served
            .file
            .seek(SeekFrom::Start(start))
            .and_then(|_| served.file.read_exact(&mut bytes));
        match read {
            Ok(()) => Body::from(bytes),
            Err(_) => return gone(),
        }
    } else {
        if served.file.seek(SeekFrom::Start(start)).is_err() {
            return gone();
        }
        Body::new(FileBody {
            file: tokio::fs::File::from_std(served.file),
            piece: vec![0; PIECE].into_boxed_slice(),
            remaining: count,
        })
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_type(file)),
    );
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(value) = HeaderValue::from_str(&served.etag) {
        out.insert(header::ETAG, value);
    }
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {start}-{}/{len}", start + count - 1);
        if let Ok(value) = HeaderValue::from_str(&range) {
            out.insert(header::CONTENT_RANGE, value);
        }
    }
    response
}

/// A file that vanished between being opened and read.
fn gone() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// A file's bytes, a piece at a time as hyper asks for them (it asks only while the socket
/// takes what it has).
struct FileBody {
    file: tokio::fs::File,
    piece: Box<[u8]>,
    remaining: u64,
}

impl HttpBody for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        let want = (this.remaining as usize).min(this.piece.len());
        let mut buf = tokio::io::ReadBuf::new(&mut this.piece[..want]);
        match tokio::io::AsyncRead::poll_read(Pin::new(&mut this.file), cx, &mut buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) if buf.filled().is_empty() => Poll::Ready(Some(Err(
                std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
            ))),
            Poll::Ready(Ok(())) => {
                let bytes = Bytes::copy_from_slice(buf.filled());
                this.remaining -= bytes.len() as u64;
                Poll::Ready(Some(Ok(hyper::body::Frame::data(bytes))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(range: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
        headers
    }

    #[test]
    fn ranges_are_read_as_the_standard_says() {
        let len = 1000;
        for (range, expected) in [
            ("bytes=0-99", Wanted::Part(0, 99)),
            ("bytes=900-", Wanted::Part(900, 999)),
            ("bytes=-100", Wanted::Part(900, 999)),
            ("bytes=-5000", Wanted::Part(0, 999)),
            ("bytes=990-5000", Wanted::Part(990, 999)),
            ("bytes=1000-", Wanted::Unsatisfiable),
            ("bytes=5000-6000", Wanted::Unsatisfiable),
            ("bytes=-0", Wanted::Unsatisfiable),
            ("bytes=0-1,5-6", Wanted::Whole),
            ("bytes=9-3", Wanted::Whole),
            ("items=0-1", Wanted::Whole),
            ("bytes=a-b", Wanted::Whole),
            ("bytes=+1-2", Wanted::Whole),
        ] {
            assert_eq!(wanted(&asking(range), len, "\"e\""), expected, "{range}");
        }
        let mut stale = asking("bytes=0-9");
        stale.insert(header::IF_RANGE, HeaderValue::from_static("\"old\""));
        assert_eq!(wanted(&stale, len, "\"new\""), Wanted::Whole);
        stale.insert(header::IF_RANGE, HeaderValue::from_static("\"new\""));
        assert_eq!(wanted(&stale, len, "\"new\""), Wanted::Part(0, 9));
    }
}
