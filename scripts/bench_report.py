#!/usr/bin/env python3
"""The benchmark report of ippun, printed as Markdown (run it through
scripts/bench-report.sh, which builds the release binaries and installs what
the comparisons need).

Sections, each measured in this one run on this machine:
  1. code generation, one 6-digit 60-second code per call: ippun-core and
     totp-rs (criterion, in process), pyotp (timeit, in process) and
     oathtool/liboath (a window of codes in one process, start-up taken off),
     and one code per process from the command line: `ippun otp` and
     `oathtool`;
  2. the center's verify API under load on SQLite and on PostgreSQL
     (crates/ippun-center/benches/verify_load.rs);
  2b. the center under an unauthenticated setup flood of 16, 64 and 256
     connections: its peak memory and a legitimate verify client's latency,
     against no flood (crates/ippun-center/benches/setup_flood.rs);
  3. unlock time of a locked vault with ten tokens against Argon2id alone
     (crates/ippun-core/benches/vault.rs);
  4. the window under Xvfb: program start to the first code on screen, memory
     with 1 and with 10 tokens, and idle CPU on the code screen, with xclock
     (a minimal X11 clock that also repaints once a second) beside it.

IPPUN_BENCH_QUICK=1 makes every run short (a smoke check of this script);
its figures are not for the README.
"""

import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REL = ROOT / "target" / "release"
QUICK = os.environ.get("IPPUN_BENCH_QUICK") == "1"

# RFC 6238's seeds, one per hash.
SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
START = 1_795_478_400  # a whole minute in 2026, as in benches/otp.rs


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def fmt_ns(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def base32(seed):
    import base64

    return base64.b32encode(seed).decode().rstrip("=")


# ---------------------------------------------------------------------------
# 1. Code generation
# ---------------------------------------------------------------------------


def criterion_median(group, name):
    """Median of a criterion benchmark's last run, in nanoseconds."""
    base = ROOT / "target" / "criterion"
    for d in base.iterdir():
        if d.name.lower() == group.lower():
            est = json.loads((d / name / "new" / "estimates.json").read_text())
            return est["median"]["point_estimate"]
    raise SystemExit(f"no criterion results for {group}/{name} in {base}")


def ippun_code(alg, t):
    return run(
        [str(REL / "ippun"), "otp", "--secret", base32(SEEDS[alg]), "--time", str(t),
         "--algorithm", alg, "--period", "60"]
    ).stdout.strip()


def oathtool_cmd(alg, t, window):
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))
    return ["oathtool", f"--totp={alg}", "-d", "6", "-s", "60", f"--now={stamp}",
            "-w", str(window), SEEDS[alg].hex()]


def pyotp_per_code_ns(alg, n):
    import pyotp

    totp = pyotp.TOTP(base32(SEEDS[alg]), digits=6, interval=60, digest=getattr(hashlib, alg))
    state = {"t": START}

    def one():
        state["t"] += 60
        return totp.at(state["t"])

    best = min(timeit.repeat(one, number=n, repeat=5))
    return best / n * 1e9


def oathtool_per_code_ns(alg, window):
    """A window of codes in one process, minus the same process with none."""
    def wall(w):
        t0 = time.perf_counter()
        subprocess.run(oathtool_cmd(alg, START, w), check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0

    big = statistics.median(wall(window) for _ in range(5))
    small = statistics.median(wall(0) for _ in range(5))
    return (big - small) / window * 1e9


def paired_ms(cmds, n):
    """Whole-process wall times of each of `cmds`, run in turn (a, b, c, a,
    b, c, …) so that all see the same machine; the medians in milliseconds."""
    times = [[] for _ in cmds]
    for _ in range(n):
        for cmd, ts in zip(cmds, times):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) * 1000 for ts in times]


def code_generation():
    import pyotp

    # Every implementation must give the same codes before any is timed.
    for alg in SEEDS:
        totp = pyotp.TOTP(base32(SEEDS[alg]), digits=6, interval=60, digest=getattr(hashlib, alg))
        for t in (59, START, START + 3599, 20_000_000_000):
            ours = ippun_code(alg, t)
            oath = run(oathtool_cmd(alg, t, 0)).stdout.strip()
            theirs = totp.at(t)
            if not (ours == oath == theirs):
                raise SystemExit(f"{alg} at {t}: ippun {ours}, oathtool {oath}, pyotp {theirs}")
    say("code generation: codes agree; criterion (ippun-core, totp-rs) …")
    run(["cargo", "bench", "--locked", "-p", "ippun-core", "--bench", "otp", "--", "--noplot"]
        + (["--warm-up-time", "0.3", "--measurement-time", "0.5"] if QUICK else []),
        cwd=ROOT)
    n = 20_000 if QUICK else 200_000
    rows = []
    for alg in SEEDS:
        say(f"code generation: {alg} pyotp, oathtool …")
        group = f"totp-{alg}-6d-60s"
        ours = criterion_median(group, "ippun")
        totp_rs = criterion_median(group, "totp-rs")
        py = pyotp_per_code_ns(alg, n // 4)
        oath = oathtool_per_code_ns(alg, n)
        rows.append((alg.upper().replace("SHA", "SHA-"), ours, totp_rs, py, oath))
    say("code generation: one code per process …")
    k = 20 if QUICK else 300
    otp = ["otp", "--secret", base32(SEEDS["sha1"]), "--time", str(START)]
    cli_ippun, cli_app, cli_oath = paired_ms(
        [[str(REL / "ippun")] + otp, [str(REL / "ippun-app")] + otp, oathtool_cmd("sha1", START, 0)], k)
    out = ["### Code generation", "",
           "One 6-digit, 60-second code per call, the time moving on a step each call; "
           "median (criterion) or best of five (timeit), nanoseconds per code.", "",
           "| hash | ippun-core | totp-rs | pyotp | oathtool (liboath) |",
           "| --- | ---: | ---: | ---: | ---: |"]
    for name, a, b, c, d in rows:
        out.append(f"| {name} | {fmt_ns(a)} | {fmt_ns(b)} | {fmt_ns(c)} | {fmt_ns(d)} |")
    out += ["", "One code per process (start, compute, print), SHA-1, the three run in turn, "
            f"median of {k} rounds, milliseconds and ratio to `oathtool`:", "",
            "| command | ms | ratio |", "| --- | ---: | ---: |",
            f"| `ippun otp` (the command: answers plain `otp` itself) | {cli_ippun:.3f} | {cli_ippun / cli_oath:.2f} |",
            f"| `ippun-app otp` (the full program: window, center, every command) | {cli_app:.3f} "
            f"| {cli_app / cli_oath:.2f} |",
            f"| `oathtool --totp` | {cli_oath:.3f} | 1.00 |", "",
            "The goal: `ippun otp` no slower than `oathtool`.", ""]
    return out


# ---------------------------------------------------------------------------
# 2. Verify API under load
# ---------------------------------------------------------------------------


def verify_load():
    say("verify API under load (SQLite, PostgreSQL) …")
    env = dict(os.environ)
    if QUICK:
        env.update(IPPUN_BENCH_TOKENS="2000", IPPUN_BENCH_SECONDS="5")
    r = run(["cargo", "bench", "--locked", "-p", "ippun-center", "--bench", "verify_load"],
            cwd=ROOT, env=env)
    lines = [l for l in r.stdout.splitlines() if l.startswith("|") or l.startswith("verify API")]
    return ["### Verify API under load", "",
            "Every request a right code, so a full accept: key check, read, HMAC, the "
            "atomic update and the audit row, committed; clients and center share the cores.", ""] + lines + [""]


def setup_flood():
    say("setup flood (about a minute) …")
    env = dict(os.environ)
    if QUICK:
        env.update(IPPUN_BENCH_TOKENS="2000", IPPUN_BENCH_SECONDS="3")
    r = run(["cargo", "bench", "--locked", "-p", "ippun-center", "--bench", "setup_flood"],
            cwd=ROOT, env=env)
    lines = [l for l in r.stdout.splitlines() if l.startswith("|") or l.startswith("setup flood")]
    return ["### Setup flood", "",
            "First legs of setup for new user IDs from N connections as fast as answers come, "
            "with one verify client beside them; each phase a fresh center process.", ""] + lines + [""]


# ---------------------------------------------------------------------------
# 3. Unlock
# ---------------------------------------------------------------------------


def unlock():
    say("unlock (criterion, about a minute) …")
    run(["cargo", "bench", "--locked", "-p", "ippun-core", "--bench", "vault", "--", "--noplot"]
        + (["--measurement-time", "2"] if QUICK else []), cwd=ROOT)
    g = "unlock-argon2id-128MiB-t7"
    ms = lambda n: f"{criterion_median(g, n) / 1e6:.0f} ms"  # noqa: E731
    return ["### Unlock", "",
            "A locked vault with ten tokens opened with the right code, against Argon2id "
            "alone with the same parameters (m = 128 MiB, t = 7, p = 2), and on one lane.", "",
            "| ippun unlock | Argon2id, 2 lanes | Argon2id, 1 lane |", "| ---: | ---: | ---: |",
            f"| {ms('ippun-unlock-10-tokens')} | {ms('argon2id-raw-p2')} | {ms('argon2id-raw-p1')} |", ""]


# ---------------------------------------------------------------------------
# 4. The window
# ---------------------------------------------------------------------------


class Xvfb:
    def __init__(self):
        self.display = f":{90 + os.getpid() % 9}"
        self.proc = subprocess.Popen(["Xvfb", self.display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{self.display[1:]}").exists():
                return
            time.sleep(0.05)
        raise SystemExit("Xvfb did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def demo_center(home, db):
    p = subprocess.Popen([str(REL / "ippun-center"), "demo", "--listen", "127.0.0.1:0",
                          "--db", f"sqlite:{db}", "--home", str(home)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    info = json.loads(p.stdout.readline())
    return p, info


def add_tokens(home, users):
    center, info = demo_center(home, home / "demo.db")
    try:
        for u in users:
            subprocess.run([str(REL / "ippun"), "--home", str(home), "token", "add",
                            "--center", info["url"], "--center-key", info["center_key"],
                            "--service-id", u["service_id"], "--user-id", u["user_id"]],
                           input=u["activation_password"] + "\n", text=True, check=True,
                           capture_output=True)
    finally:
        center.terminate()
        center.wait()


def start_window(home, display, wait_for):
    """Starts the window; returns the process and the milliseconds to `wait_for`:
    as the app counts them (from main) and from the spawn."""
    env = dict(os.environ, DISPLAY=display, IPPUN_TIMING="1", LANG="ja_JP.UTF-8")
    t0 = time.perf_counter()
    p = subprocess.Popen([str(REL / "ippun"), "--home", str(home)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        if wait_for in line:
            spawn_ms = (time.perf_counter() - t0) * 1000
            return p, int(line.split(wait_for)[1].split("ms")[0]), spawn_ms
    p.kill()
    raise SystemExit(f"the window never said '{wait_for}'")


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_ticks(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def idle_percent(pid, seconds):
    hz = os.sysconf("SC_CLK_TCK")
    a = cpu_ticks(pid)
    time.sleep(seconds)
    return (cpu_ticks(pid) - a) / hz / seconds * 100


def window():
    say("window: demo tokens …")
    users = json.loads(run([str(REL / "ippun-center"), "demo", "--list-users", "--json"]).stdout)
    ready = [u for u in users if u["expected_code"] is None and u.get("phase", "setup") == "setup"
             and (u["user_id"] == "demo-user" or u["user_id"].startswith("spare-"))][:10]
    if len(ready) < 10:
        raise SystemExit("the demo center has fewer than ten ready users")
    tmp = Path(tempfile.mkdtemp(prefix="ippun-bench-"))
    one, ten = tmp / "one", tmp / "ten"
    one.mkdir()
    ten.mkdir()
    add_tokens(one, ready[:1])
    add_tokens(ten, ready)
    x = Xvfb()
    out = []
    try:
        runs = 3 if QUICK else 5
        firsts = []
        for i in range(runs):
            say(f"window: start to first code, run {i + 1} of {runs} …")
            p, app_ms, spawn_ms = start_window(one, x.display, "first code on screen")
            firsts.append((app_ms, spawn_ms))
            if i == 0:
                time.sleep(3)
                rss_one = rss_mib(p.pid)
                idle_s = 10 if QUICK else 60
                say(f"window: idle CPU over {idle_s} s …")
                idle = idle_percent(p.pid, idle_s)
            stop(p)
        say("window: ten tokens …")
        p, _, _ = start_window(ten, x.display, "first frame drawn")
        time.sleep(3)
        rss_ten = rss_mib(p.pid)
        stop(p)
        xclock = None
        if shutil.which("xclock"):
            say("window: xclock for comparison …")
            c = subprocess.Popen(["xclock", "-digital", "-update", "1"], env=dict(os.environ, DISPLAY=x.display),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2)
            xclock = (idle_percent(c.pid, 10 if QUICK else 60), rss_mib(c.pid))
            stop(c)
    finally:
        x.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    app = sorted(a for a, _ in firsts)
    spawn = sorted(s for _, s in firsts)
    xc_idle, xc_rss = (f"{xclock[0]:.2f} %", f"{xclock[1]:.0f} MiB") if xclock else ("", "")
    out += ["### The window", "",
            "Release build under Xvfb with Mesa's software OpenGL; the demo center's tokens.", "",
            "| measure | ippun | xclock -digital -update 1 |", "| --- | ---: | ---: |",
            f"| start to first code, as the app counts it ({runs} runs: min / median / max) | "
            f"{app[0]} / {statistics.median(app):.0f} / {app[-1]} ms | |",
            f"| start to first code, from the spawn | "
            f"{spawn[0]:.0f} / {statistics.median(spawn):.0f} / {spawn[-1]:.0f} ms | |",
            f"| resident memory, 1 token (code screen) | {rss_one:.0f} MiB | {xc_rss} |",
            f"| resident memory, 10 tokens (token list) | {rss_ten:.0f} MiB | |",
            f"| idle CPU on the code screen ({idle_s} s) | {idle:.2f} % of one core | {xc_idle} |",
            "", "The goal for idle on the code screen is at most 0.5 % of one core.", ""]
    return out


def main():
    if not all((REL / b).exists() for b in ("ippun", "ippun-app", "ippun-center")):
        raise SystemExit("build first: cargo build --release --workspace")
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "unknown CPU")
    report = ["## Benchmark report", "",
              f"{os.cpu_count()} cores ({cpu}), {time.strftime('%Y-%m-%d', time.gmtime())}"
              + (" — QUICK run, not for comparison" if QUICK else "") + ".", ""]
    for section in (code_generation, verify_load, setup_flood, unlock, window):
        report += section()
    text = "\n".join(report)
    (ROOT / "target" / "bench-report.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
