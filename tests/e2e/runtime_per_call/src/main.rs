use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

type Request = (u32, oneshot::Sender<u32>);

/// A background worker, started on first use: like a connection pool's dispatch task.
static WORKER: OnceLock<mpsc::UnboundedSender<Request>> = OnceLock::new();

fn worker() -> &'static mpsc::UnboundedSender<Request> {
    WORKER.get_or_init(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<Request>();
        tokio::spawn(async move {
            while let Some((n, reply)) = rx.recv().await {
                let _ = reply.send(n * 2);
            }
        });
        tx
    })
}

fn double(n: u32) -> u32 {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async move {
        let (reply, answer) = oneshot::channel();
        worker().send((n, reply)).expect("the worker task is gone: its runtime was dropped");
        answer.await.unwrap()
    })
}

fn main() {
    let first = double(1);
    let second = double(20);
    println!("answer: {}", first + second);
}
