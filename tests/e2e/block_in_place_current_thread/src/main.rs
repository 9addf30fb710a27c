fn expensive() -> u32 {
    (1..=6).product::<u32>() / 17
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n = tokio::task::block_in_place(expensive);
    println!("answer: {n}");
}
