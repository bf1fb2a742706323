//! A scripted HTTP server on 127.0.0.1 standing in for a quote provider.

use std::sync::{Arc, Mutex};

/// What the peer answers: status, body, extra headers.
pub type Reply = (u16, String, Vec<(&'static str, String)>);

pub struct Peer {
    pub url: String,
    /// The path and query of every request, in order.
    pub hits: Arc<Mutex<Vec<String>>>,
}

impl Peer {
    /// Serves `answer(path_and_query, n)` where n counts the requests from 0.
    pub fn start(answer: impl Fn(&str, usize) -> Reply + Send + 'static) -> Peer {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = hits.clone();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let path = request.url().to_string();
                let n = {
                    let mut h = seen.lock().unwrap();
                    h.push(path.clone());
                    h.len() - 1
                };
                let (status, body, headers) = answer(&path, n);
                let mut response = tiny_http::Response::from_string(body).with_status_code(status);
                response.add_header(
                    tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap(),
                );
                for (k, v) in headers {
                    response.add_header(tiny_http::Header::from_bytes(k, v.as_bytes()).unwrap());
                }
                let _ = request.respond(response);
            }
        });
        Peer { url, hits }
    }

    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}
