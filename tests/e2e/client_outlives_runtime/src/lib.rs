//! Two tests share one HTTP client through a static. They run in parallel, as `cargo test` runs
//! them; the steps are ordered with `PHASE` so the failure is deterministic.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::LazyLock;
use std::time::Duration;

static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);

/// A keep-alive HTTP/1.1 server on 127.0.0.1 (one thread per connection); `/slow` answers after a second.
static SERVER: LazyLock<String> = LazyLock::new(|| {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    let slow = line.contains("/slow");
                    // The rest of the head, up to the blank line.
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                    }
                    if slow {
                        std::thread::sleep(Duration::from_secs(1));
                    }
                    let reply = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                    if stream.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                    line.clear();
                }
            });
        }
    });
    address
});

pub async fn fetch(path: &str) -> String {
    let response = CLIENT.get(format!("{}{path}", *SERVER)).send().await.unwrap();
    response.text().await.unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU8, Ordering};

    /// 0: nothing yet; 1: the first test has a pooled connection; 2: the second test is sending.
    static PHASE: AtomicU8 = AtomicU8::new(0);

    async fn wait_for(phase: u8) {
        for _ in 0..1000 {
            if PHASE.load(Ordering::SeqCst) >= phase {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the other test never reached phase {phase}: run the tests in parallel");
    }

    #[tokio::test]
    async fn first() {
        assert_eq!(fetch("/fast").await, "ok");
        PHASE.store(1, Ordering::SeqCst);
        wait_for(2).await;
        // Keep this runtime running while the second test's request is written, then end it.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    #[tokio::test]
    async fn second() {
        wait_for(1).await;
        PHASE.store(2, Ordering::SeqCst);
        assert_eq!(fetch("/slow").await, "ok");
    }
}
