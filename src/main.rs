#[tokio::main]
async fn main() -> std::process::ExitCode {
    contrail::cli::run().await
}
