//! A scripted HTTP server on loopback that answers each request with the next scripted reply, for the
//! faults a real embedding server cannot be made to produce on demand (429, 500, hangs, bad answers).

#![allow(dead_code, unreachable_pub)] // each test file uses part of it

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answers `status` with extra headers and a JSON body.
    Json { status: u16, headers: Vec<(&'static str, String)>, body: String },
    /// Reads the request and never answers (the connection stays open until the test ends).
    Hang,
}

impl Reply {
    pub fn ok(body: serde_json::Value) -> Self {
        Reply::Json { status: 200, headers: Vec::new(), body: body.to_string() }
    }

    pub fn status(status: u16, body: &str) -> Self {
        Reply::Json { status, headers: Vec::new(), body: body.to_owned() }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        if let Reply::Json { headers, .. } = &mut self {
            headers.push((name, value.to_owned()));
        }
        self
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub at: Instant,
    pub head: String,
    pub body: serde_json::Value,
}

/// The server: replies in order; a request past the script gets a 500 saying so.
#[derive(Clone, Debug)]
pub struct Scripted {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    pub async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free loopback port");
        let base_url = format!("http://{}", listener.local_addr().expect("a bound listener has an address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(replies)));
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (script, log) = (script.clone(), log.clone());
                tokio::spawn(async move { serve(stream, script, log).await });
            }
        });
        Scripted { base_url, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("no test panics while holding the log").clone()
    }
}

async fn serve(mut stream: TcpStream, script: Arc<Mutex<VecDeque<Reply>>>, log: Arc<Mutex<Vec<Seen>>>) {
    loop {
        let Some((head, body)) = read_request(&mut stream).await else { return };
        let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        log.lock().expect("no test panics while holding the log").push(Seen { at: Instant::now(), head, body });
        let reply = script.lock().expect("no test panics while holding the script").pop_front();
        let reply = reply.unwrap_or_else(|| Reply::status(500, r#"{"error":{"message":"the script ran out"}}"#));
        match reply {
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Reply::Json { status, headers, body } => {
                let mut response = format!(
                    "HTTP/1.1 {status} Scripted\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    response.push_str(&format!("{name}: {value}\r\n"));
                }
                response.push_str("\r\n");
                response.push_str(&body);
                if stream.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// One HTTP/1.1 request: its head (request line and headers) and its body (by content-length).
async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some((head, body))
}

/// An OpenAI-shaped answer with `vectors`.
pub fn openai_body(vectors: &[Vec<f32>]) -> serde_json::Value {
    let data: Vec<_> = vectors
        .iter()
        .enumerate()
        .map(|(index, v)| serde_json::json!({"object": "embedding", "index": index, "embedding": v}))
        .collect();
    serde_json::json!({"object": "list", "model": "m", "data": data, "usage": {"prompt_tokens": 1, "total_tokens": 1}})
}

/// An Ollama `/api/embed` answer with `vectors`.
pub fn ollama_body(vectors: &[Vec<f32>]) -> serde_json::Value {
    serde_json::json!({"model": "m", "embeddings": vectors})
}
