use storage::cache;

pub async fn index() -> String {
    render()
}

fn render() -> String {
    cache::read_blocking("index")
}
