use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// An HTTP/1.1 server on 127.0.0.1 that answers every request with `42`.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n42");
        }
    });
    address
}

async fn fetch(url: &str) -> String {
    let client = reqwest::blocking::Client::new();
    client.get(url).send().unwrap().text().unwrap()
}

#[tokio::main]
async fn main() {
    let url = serve();
    println!("answer: {}", fetch(&url).await);
}
