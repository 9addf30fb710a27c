//! Weather reports, fetched concurrently.

mod api;

use tokio::runtime::Handle;

pub use api::fetch_temperature;

/// One line of report for `city`.
pub async fn report(city: &str) -> String {
    let celsius = api::fetch_temperature(city).await;
    format!("{city}: {celsius} °C")
}

/// Reports for several cities.
pub async fn reports(cities: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for city in cities {
        // Bug: blocks the worker thread that is running this very future.
        out.push(Handle::current().block_on(report(city)));
    }
    out
}

/// A sync entry point for callers outside any runtime.
pub fn report_blocking(city: &str) -> String {
    // Bug: `report` sleeps on a Tokio timer, and this runtime has no timer driver.
    // At run time: "A Tokio 1.x context was found, but timers are disabled".
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(report(city))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn reports_one_city() {
        // Bug: `futures::executor::block_on` stalls the test's current-thread runtime.
        let line = futures::executor::block_on(super::report("Porto"));
        assert!(line.starts_with("Porto"));
    }
}
