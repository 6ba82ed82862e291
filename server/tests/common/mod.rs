//! Starts the real `veritydb` binary on 127.0.0.1 for integration tests: `init` in a
//! temporary directory, then `serve --listen 127.0.0.1:0`, reading the bound address from its
//! first line of output. The server is killed when the handle drops.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use veritydb::client::{Client, ClientOptions};

pub const BIN: &str = env!("CARGO_BIN_EXE_veritydb");

/// A certificate authority and a server certificate for `localhost`, made for one test.
pub struct Certs {
    pub ca_pem: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

pub fn make_certs(dir: &Path) -> Certs {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();
    let cert_path = dir.join("server.pem");
    let key_path = dir.join("server.key");
    std::fs::write(&cert_path, server_cert.pem()).unwrap();
    std::fs::write(&key_path, server_key.serialize_pem()).unwrap();
    Certs {
        ca_pem: ca.pem(),
        cert_path,
        key_path,
    }
}

pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub admin_token: String,
    pub url: String,
    pub certs: Option<Certs>,
    child: Option<Child>,
    stdout: Option<BufReader<std::process::ChildStdout>>,
    extra_args: Vec<String>,
    port: u16,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(false, &[])
    }

    pub fn start_tls() -> TestServer {
        TestServer::start_with(true, &[])
    }

    pub fn start_with(tls: bool, extra_args: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let out = Command::new(BIN)
            .args(["init", "--data"])
            .arg(&data)
            .args(["--node-name", "test.local"])
            .output()
            .unwrap();
        assert!(out.status.success(), "init failed: {out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let admin_token = stdout
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("vdb_"))
            .expect("init prints the token")
            .to_owned();
        let certs = tls.then(|| make_certs(dir.path()));
        let mut server = TestServer {
            dir,
            data,
            admin_token,
            url: String::new(),
            certs,
            child: None,
            stdout: None,
            extra_args: extra_args.iter().map(|s| (*s).to_owned()).collect(),
            port: 0,
        };
        server.spawn();
        server
    }

    /// Starts the server process (on the same port as before, if it ran before).
    pub fn spawn(&mut self) {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--data"])
            .arg(&self.data)
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--log-level", "warn"])
            .args(&self.extra_args);
        if let Some(certs) = &self.certs {
            command
                .arg("--tls-cert")
                .arg(&certs.cert_path)
                .arg("--tls-key")
                .arg(&certs.key_path);
        }
        let log = std::fs::File::create(self.dir.path().join("server.log")).unwrap();
        let mut child = command.stdout(Stdio::piped()).stderr(log).spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}: {}", self.log()))
            .to_owned();
        self.port = url.rsplit(':').next().unwrap().parse().unwrap();
        self.url = match self.certs {
            Some(_) => format!("vdbs://localhost:{}", self.port),
            None => url,
        };
        self.child = Some(child);
        self.stdout = Some(stdout);
    }

    /// The next line the server printed on standard output.
    pub fn next_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.as_mut().unwrap().read_line(&mut line).unwrap();
        line.trim().to_owned()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn options(&self, token: &str) -> ClientOptions {
        let mut options = ClientOptions::new(token).io_timeout_ms(30_000);
        if let Some(certs) = &self.certs {
            options = options.ca_certificates_pem(certs.ca_pem.clone());
        }
        options
    }

    pub fn client(&self, token: &str) -> Client {
        Client::connect(&self.url, self.options(token)).unwrap()
    }

    pub fn admin(&self) -> Client {
        self.client(&self.admin_token)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits (at most 30 s) for the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs the `veritydb` CLI against this server with the given token.
    pub fn cli(&self, token: &str, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .args(["--url", &self.url, "--token", token]);
        if let Some(certs) = &self.certs {
            let ca = self.dir.path().join("ca.pem");
            std::fs::write(&ca, &certs.ca_pem).unwrap();
            command.arg("--ca-cert").arg(ca);
        }
        command.output().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}
