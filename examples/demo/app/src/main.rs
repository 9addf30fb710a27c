//! A command-line app that reports the weather of a few cities.

use std::time::Duration;

use tokio::runtime::Runtime;

#[tokio::main]
async fn main() {
    // Bug: this runtime is started from inside the runtime of `#[tokio::main]`.
    // At run time: "Cannot start a runtime from within a runtime".
    let report = Runtime::new().unwrap().block_on(weather::report("Lisbon"));
    println!("{report}");

    // Correct: blocking work goes to the blocking pool, and awaits are awaits.
    let reports = tokio::task::spawn_blocking(|| {
        let rt = Runtime::new().unwrap();
        rt.block_on(weather::report("Oslo"))
    })
    .await
    .unwrap();
    println!("{reports}");
    tokio::time::sleep(Duration::from_millis(1)).await;
}
