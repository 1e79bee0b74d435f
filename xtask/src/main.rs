//! `cargo xtask` — the project's commands, each doing its own set-up on a fresh
//! Debian/Ubuntu machine:
//!
//! - `cargo xtask run [-- serve args]`: installs what is missing, starts a local Redis when
//!   none answers on 127.0.0.1:6379, writes a development configuration on first use, and runs
//!   `bluehook serve`.
//! - `cargo xtask test`: installs what is missing, checks formatting and lints, runs every test.
//! - `cargo xtask bench`: builds in release mode and runs the relay benchmark.
//! - `cargo xtask setup`: only the installation step.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Debian packages the tests and the relay need, by the command that shows they are there.
const PACKAGES: &[(&str, &str)] = &[
    ("redis-server", "redis-server"),
    ("redis-cli", "redis-tools"),
];
/// Extra packages for benchmarks.
const BENCH_PACKAGES: &[(&str, &str)] = &[("wrk", "wrk")];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = args
        .split_first()
        .map(|(c, r)| (c.as_str(), r))
        .unwrap_or(("help", &[]));
    match cmd {
        "setup" => setup(PACKAGES),
        "test" => test(rest),
        "run" => run(rest),
        "bench" => bench(rest),
        _ => {
            eprintln!("usage: cargo xtask <run|test|bench|setup>");
            eprintln!(
                "  run   [-- bluehook serve arguments]  run Bluehook (installs what is missing)"
            );
            eprintln!("  test  [cargo test arguments]          format check, lints and every test");
            eprintln!("  bench                                 relay benchmark (release build)");
            eprintln!("  setup                                 install system packages only");
            Ok(())
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

fn have(command: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {command}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn sh(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// Installs the Debian packages whose command is missing.
fn setup(packages: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(cmd, _)| !have(cmd))
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !have("apt-get") {
        bail!("missing {missing:?}: install them with your package manager");
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let apt = |args: &[&str]| -> Command {
        let mut c = if is_root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    eprintln!("xtask: installing {missing:?}");
    sh(&mut apt(&["update", "-qq"]))?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&missing);
    sh(&mut install)
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn test(extra: &[String]) -> Result<()> {
    setup(PACKAGES)?;
    sh(cargo().args(["fmt", "--all", "--check"]))?;
    sh(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    sh(cargo().args(["test", "--workspace"]).args(extra))
}

/// A development configuration, written once, with a random shared secret.
fn dev_config() -> Result<PathBuf> {
    let dir = root().join(".dev");
    let path = dir.join("bluehook.toml");
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir)?;
    let secret = random_hex();
    let text = format!(
        "# Development configuration written by `cargo xtask run`; edit freely.\n\
         data_dir = \"{data}\"\n\n\
         [[servers]]\n\
         name = \"default\"\n\
         domain = \"localhost\"\n\
         secret = \"{secret}\"\n\
         redis_url = \"redis://127.0.0.1:6379\"\n\n\
         # Every event also goes to the built-in catcher's bin `dev`: try\n\
         # `target/release/bluehook simulate --config .dev/bluehook.toml`, then look at\n\
         # http://127.0.0.1:3006/api/v1/bins/dev/captures (token in .dev/data/admin-token).\n\
         [[servers.permanent_hooks]]\n\
         url = \"http://127.0.0.1:3007/dev\"\n\
         name = \"catcher\"\n",
        data = dir.join("data").display()
    );
    std::fs::write(&path, text)?;
    Ok(path)
}

fn random_hex() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run(extra: &[String]) -> Result<()> {
    setup(PACKAGES)?;
    let mut args: Vec<String> = extra.iter().filter(|a| *a != "--").cloned().collect();
    let configured = args.iter().any(|a| a == "--config" || a == "-c")
        || std::env::var_os("BLUEHOOK_CONFIG").is_some()
        || std::env::var_os("SHARED_SECRET").is_some();
    let mut redis = None;
    if !configured {
        let config = dev_config()?;
        eprintln!("xtask: using {} (shared secret inside)", config.display());
        args.extend(["--config".into(), config.display().to_string()]);
        if std::net::TcpStream::connect("127.0.0.1:6379").is_err() {
            let dir = root().join(".dev/redis");
            std::fs::create_dir_all(&dir)?;
            eprintln!(
                "xtask: starting redis-server on 127.0.0.1:6379 (data in {})",
                dir.display()
            );
            redis = Some(
                Command::new("redis-server")
                    .args([
                        "--port",
                        "6379",
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                    ])
                    .arg("--dir")
                    .arg(&dir)
                    .stdout(Stdio::null())
                    .spawn()
                    .context("cannot start redis-server")?,
            );
        }
    }
    let status = cargo()
        .args([
            "run",
            "--release",
            "-p",
            "bluehook-cli",
            "--bin",
            "bluehook",
            "--",
            "serve",
        ])
        .args(&args)
        .status();
    if let Some(mut r) = redis {
        let _ = r.kill();
        let _ = r.wait();
    }
    let status = status?;
    if !status.success() {
        bail!("bluehook serve exited with {status}");
    }
    Ok(())
}

fn bench(extra: &[String]) -> Result<()> {
    setup(PACKAGES)?;
    setup(BENCH_PACKAGES)?;
    sh(cargo().args([
        "build",
        "--release",
        "-p",
        "bluehook-cli",
        "-p",
        "bluehook-bench",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let release = target.join("release");
    sh(Command::new(release.join("bluehook-bench"))
        .arg("--bluehook")
        .arg(release.join("bluehook"))
        .args(extra)
        .current_dir(root()))
}
