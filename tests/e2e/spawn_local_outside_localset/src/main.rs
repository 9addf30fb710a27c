use std::rc::Rc;

#[tokio::main]
async fn main() {
    // `Rc` is not `Send`: this task must stay on this thread, in a `LocalSet`.
    let base = Rc::new(40);
    let task = tokio::task::spawn_local(async move { *base + 2 });
    println!("answer: {}", task.await.unwrap());
}
