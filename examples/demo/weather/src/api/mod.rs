//! The (simulated) weather service.

use std::time::Duration;

/// The temperature in `city`, in degrees Celsius.
pub async fn fetch_temperature(city: &str) -> i32 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    city.len() as i32 + 10
}
