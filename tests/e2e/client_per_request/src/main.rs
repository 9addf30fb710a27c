use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A keep-alive HTTP/1.1 server on 127.0.0.1 that answers `1` and counts its connections.
fn serve(connections: Arc<AtomicUsize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            connections.fetch_add(1, Ordering::SeqCst);
            let mut stream = stream.unwrap();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    if line == "\r\n" {
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n1";
                        if stream.write_all(reply).is_err() {
                            return;
                        }
                    }
                    line.clear();
                }
            });
        }
    });
    address
}

async fn sum(url: &str, times: usize) -> usize {
    let mut total = 0;
    for _ in 0..times {
        let client = reqwest::Client::new();
        let body = client.get(url).send().await.unwrap().text().await.unwrap();
        total += body.parse::<usize>().unwrap();
    }
    total
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let connections = Arc::new(AtomicUsize::new(0));
    let url = serve(connections.clone());
    let total = sum(&url, 42).await;
    let opened = connections.load(Ordering::SeqCst);
    assert_eq!(opened, 1, "{total} requests opened {opened} connections: no connection was reused");
    println!("answer: {total}");
}
