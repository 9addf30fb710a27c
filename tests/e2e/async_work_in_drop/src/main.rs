struct Session {
    id: u32,
}

impl Drop for Session {
    fn drop(&mut self) {
        let id = self.id;
        tokio::spawn(async move {
            let _ = id;
        });
    }
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let session = rt.block_on(async { Session { id: 42 } });
    drop(rt);
    println!("answer: {}", session.id);
    // `session` is dropped here, after the runtime: `tokio::spawn` has no runtime to use.
}
