pub fn load() -> u32 {
    std::thread::sleep(std::time::Duration::from_millis(10));
    1
}

pub struct Store;

impl Store {
    pub fn get(&self) -> u32 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        2
    }
}

pub fn quiet() -> u32 {
    std::thread::sleep(std::time::Duration::from_millis(10));
    3
}

pub struct Cache;

impl Cache {
    pub fn fetch(&self) -> u32 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        4
    }
}

pub fn tally() -> u32 {
    std::thread::sleep(std::time::Duration::from_millis(10));
    5
}
