//! `contrail serve` as a child process: what an operator runs, started, killed and stopped
//! the way an operator (or a crash) would.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `contrail serve` in `dir`, with its stdout lines.
pub struct Server {
    pub child: Child,
    pub port: u16,
    lines: mpsc::Receiver<String>,
}

impl Server {
    /// Starts with no configuration but the port (and `env`).
    pub fn start(dir: &std::path::Path, port: u16, env: &[(&str, &str)]) -> Server {
        Server::start_logging(dir, port, env, Stdio::inherit())
    }

    /// The same, its logs (stderr) going to `logs`.
    pub fn start_logging(
        dir: &std::path::Path,
        port: u16,
        env: &[(&str, &str)],
        logs: impl Into<Stdio>,
    ) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_contrail"))
            .current_dir(dir)
            .env_clear()
            .env("CONTRAIL_LISTEN", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(logs)
            .spawn()
            .expect("the contrail binary starts");
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        Server { child, port, lines }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Stdout up to and including the GraphiQL line printed once the server listens.
    pub fn startup_output(&self) -> Vec<String> {
        let mut output = Vec::new();
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("server printed its GraphiQL URL");
            let done = line.starts_with("GraphiQL: ");
            output.push(line);
            if done {
                return output;
            }
        }
    }

    /// Waits until `/readyz` answers 200.
    pub async fn ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(response) = client.get(self.url("/readyz")).send().await
                && response.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server on port {} never became ready", self.port);
    }

    /// Sends `signal` (`TERM`, `KILL`…).
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal}");
    }

    /// SIGTERM, then the exit status of a graceful shutdown.
    pub fn terminate(mut self) -> ExitStatus {
        self.signal("TERM");
        self.child.wait().unwrap()
    }

    /// SIGKILL: the process dies at once, mid-request, holding whatever it held.
    pub fn kill(mut self) {
        self.signal("KILL");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
