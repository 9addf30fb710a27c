// A caller the analysis cannot see: inside a macro body.
macro_rules! answer {
    () => {
        compute()
    };
}

#[tokio::main]
async fn compute() -> u32 {
    42
}

async fn run() -> u32 {
    compute()
}

fn sync_user() -> u32 {
    answer!()
}

fn main() {
    println!("answer: {}", sync_user());
    let _ = run;
}
