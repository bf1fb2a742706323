//! A scripted LLM provider on 127.0.0.1: real HTTP/1.1 over TCP, answers streamed frame by
//! frame with a flush after each (so streaming, stalls and cancels are real), in the wire
//! formats of OpenAI's Chat Completions and Responses, Anthropic's Messages and Ollama's
//! native chat. Every request is kept (path, headers, JSON body) for the test to check what
//! folio sent back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    /// When its headers and body had been read.
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server answers to one request.
pub enum Answer {
    /// A 200 stream: each frame written and flushed after its delay.
    Stream {
        content_type: &'static str,
        frames: Vec<(Duration, String)>,
    },
    /// A plain answer: status, JSON body, extra headers.
    Status(u16, String, Vec<(&'static str, String)>),
}

pub struct FakeLlm {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Received>>>,
    /// When each streamed frame was written (and flushed), in order (for the benchmarks).
    pub written: Arc<Mutex<Vec<Instant>>>,
}

impl FakeLlm {
    /// Serves `script(n, request)` for the n-th request (from 0).
    pub fn start(script: impl Fn(usize, &Received) -> Answer + Send + Sync + 'static) -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<Received>>> = Arc::default();
        let written: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let (seen, times) = (requests.clone(), written.clone());
        let script = Arc::new(script);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (seen, times, script) = (seen.clone(), times.clone(), script.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &seen, &times, &*script);
                });
            }
        });
        FakeLlm {
            url,
            requests,
            written,
        }
    }

    pub fn requests(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(
    stream: std::net::TcpStream,
    seen: &Mutex<Vec<Received>>,
    times: &Mutex<Vec<Instant>>,
    script: &(dyn Fn(usize, &Received) -> Answer + Send + Sync),
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let received = Received {
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        at: Instant::now(),
    };
    let n = {
        let mut s = seen.lock().unwrap();
        s.push(received.clone());
        s.len() - 1
    };
    let mut out = stream;
    match script(n, &received) {
        Answer::Status(status, body, extra) => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in extra {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            out.write_all(head.as_bytes())?;
            out.write_all(body.as_bytes())?;
        }
        Answer::Stream {
            content_type,
            frames,
        } => {
            // No length: the body ends when the connection closes (HTTP/1.1 allows it).
            out.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )?;
            out.flush()?;
            for (delay, frame) in frames {
                std::thread::sleep(delay);
                out.write_all(frame.as_bytes())?;
                out.flush()?;
                times.lock().unwrap().push(Instant::now());
            }
        }
    }
    out.flush()?;
    out.shutdown(std::net::Shutdown::Both)
}

/// Frames sent at once.
pub fn now(frames: Vec<String>) -> Vec<(Duration, String)> {
    frames.into_iter().map(|f| (Duration::ZERO, f)).collect()
}

pub fn sse(frames: Vec<String>) -> Answer {
    Answer::Stream {
        content_type: "text/event-stream",
        frames: now(frames),
    }
}

/// OpenAI Chat Completions frames.
pub mod oai {
    use super::*;

    pub fn chunk(delta: Value, finish: Option<&str>) -> String {
        let v = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "usage": null});
        format!("data: {v}\n\n")
    }

    pub fn text(t: &str) -> String {
        chunk(json!({"content": t}), None)
    }

    /// One tool-call delta: index, id and name (on the first), an arguments fragment.
    pub fn call(index: Option<u64>, id: Option<&str>, name: Option<&str>, args: &str) -> String {
        let mut c = json!({"function": {"arguments": args}});
        if let Some(i) = index {
            c["index"] = json!(i);
        }
        if let Some(id) = id {
            c["id"] = json!(id);
            c["type"] = json!("function");
        }
        if let Some(n) = name {
            c["function"]["name"] = json!(n);
        }
        chunk(json!({"tool_calls": [c]}), None)
    }

    pub fn finish(reason: &str) -> String {
        chunk(json!({}), Some(reason))
    }

    pub fn usage() -> String {
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":812,\"completion_tokens\":19,\"total_tokens\":831}}\n\n".into()
    }

    pub fn done() -> String {
        "data: [DONE]\n\n".into()
    }

    /// A whole answer of text.
    pub fn answer(t: &str) -> Answer {
        sse(vec![text(t), finish("stop"), usage(), done()])
    }

    /// One whole call, then finish.
    pub fn calls(list: &[(&str, &str, Value)]) -> Answer {
        let mut frames: Vec<String> = list
            .iter()
            .enumerate()
            .map(|(i, (id, name, args))| {
                call(Some(i as u64), Some(id), Some(name), &args.to_string())
            })
            .collect();
        frames.extend([finish("tool_calls"), done()]);
        sse(frames)
    }
}

/// Anthropic Messages frames.
pub mod anthropic {
    use super::*;

    pub fn event(kind: &str, data: Value) -> String {
        format!("event: {kind}\ndata: {data}\n\n")
    }

    pub fn start() -> String {
        event(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "m", "stop_reason": null, "usage": {"input_tokens": 812, "output_tokens": 1}}}),
        )
    }

    pub fn text_block(index: u64, text: &str) -> Vec<String> {
        vec![
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}),
            ),
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}),
            ),
            event(
                "content_block_stop",
                json!({"type": "content_block_stop", "index": index}),
            ),
        ]
    }

    pub fn tool_block(index: u64, id: &str, name: &str, fragments: &[&str]) -> Vec<String> {
        let mut out = vec![event(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}}),
        )];
        for f in fragments {
            out.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": f}}),
            ));
        }
        out.push(event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
        out
    }

    pub fn stop(reason: &str) -> Vec<String> {
        vec![
            event(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": null}, "usage": {"output_tokens": 41}}),
            ),
            event("message_stop", json!({"type": "message_stop"})),
        ]
    }
}
