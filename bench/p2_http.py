"""P2: throughput of the lesson page and the dashboard under gunicorn, against a hello-world route of the same app.

One run: gunicorn (``-w 2``, sync workers) serves the app on 127.0.0.1; ``wrk`` (20 connections, 2 threads) loads
``/healthz`` (the hello-world: same app, same middleware, one ``SELECT 1``), then a lesson page as a signed-in
mediator enrolled in ``hgv``, then the dashboard as the province's officer, each for ``--duration`` seconds after a
short warm-up. It prints requests/s, p50 and p99 latency, and each page's ratio to hello-world, against the goals
(throughput ≥ 40 % of hello-world, p99 ≤ 100 ms). wrk shares the 2 cores with the server, for every route alike.

Needs ``wrk`` (Debian: ``apt-get install -y wrk``). Data: a database loaded by ``synth`` (``--prepare`` does it into
an empty database: ``lms init``, ``lms content import``, ``lms synth --scale province``):

    createdb -h 127.0.0.1 -U postgres lms_p2_bench
    .venv/bin/python bench/p2_http.py --db postgresql+psycopg://postgres@127.0.0.1:5432/lms_p2_bench --prepare
    .venv/bin/python bench/p2_http.py --db sqlite:////tmp/lms_p2.sqlite3 --prepare     # SQLite, optional

The accounts ``p2-officer`` (province admin of the first province) and ``p2-mediator`` (an active mediator of that
province, enrolled in ``hgv``) are created, or their passwords reset, on every run. Requests carry
``Accept-Encoding: gzip, deflate, br`` like a browser, so pages are compressed as they are in production.
"""

from __future__ import annotations

import argparse
import html.parser
import http.cookiejar
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/lms_p2_bench"
PASSWORD = "p2-bench-password"  # noqa: S105 (benchmark accounts on a benchmark database)
ACCEPT_ENCODING = "gzip, deflate, br"
GOAL_RATIO = 0.40
GOAL_P99_MS = 100.0


def say(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------- data and accounts


def flask_cli(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "lms", *args], cwd=ROOT, env=env, check=True)


def prepare_data(env: dict) -> None:
    """Load the province-scale synthetic roster when the database has no units yet."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(env["LMS_DATABASE_URL"])
    with engine.connect() as conn:
        empty = "unit" not in inspect(conn).get_table_names() or not conn.execute(text("SELECT count(*) FROM unit")).scalar()
    engine.dispose()
    if not empty:
        say("data: units present; not loading again (schema upgraded)")
        flask_cli(env, "init")
        return
    say("data: lms init, content import, synth --scale province")
    flask_cli(env, "init")
    flask_cli(env, "content", "import")
    flask_cli(env, "synth", "--scale", "province")


def prepare_accounts() -> dict:
    """Create (or reset) the two benchmark accounts; returns the URLs to load and a description of the data."""
    from sqlalchemy import func, select

    from lms import create_app
    from lms.core import clock
    from lms.core.roles import Role
    from lms.curriculum.models import Lesson
    from lms.curriculum.services import current_program
    from lms.extensions import db
    from lms.learning import services as training
    from lms.org.models import MediatorMembership, Team, Unit, UnitKind, User
    from lms.org.services import accounts

    app = create_app()
    with app.app_context():
        province = db.session.scalar(select(Unit).where(Unit.kind == UnitKind.PROVINCE).order_by(Unit.code).limit(1))
        if province is None:
            sys.exit("No units: run with --prepare on an empty database (or `flask lms synth --scale province`).")
        membership = db.session.scalar(
            select(MediatorMembership).join(Team, Team.id == MediatorMembership.team_id).join(Unit, Unit.id == Team.unit_id)
            .where(MediatorMembership.active_clause(clock.today()), Unit.path.startswith(province.path)).order_by(MediatorMembership.id).limit(1)
        )
        program = current_program("hgv")
        for username, role, unit, person in (
            ("p2-officer", Role.PROVINCE_ADMIN, province, None),
            ("p2-mediator", Role.MEDIATOR, membership.team.unit, membership.person),
        ):
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                accounts.create_user(username=username, role=role, unit=unit, person=person, password=PASSWORD, must_change_password=False)
            else:
                user.set_password(PASSWORD)
                user.must_change_password = False
        training.enroll(membership.person, program, check_audience=False)
        lessons = list(db.session.scalars(select(Lesson).where(Lesson.program_id == program.id).order_by(Lesson.position)))
        lesson = lessons[min(2, len(lessons) - 1)]
        db.session.commit()
        children = db.session.scalar(select(func.count(Unit.id)).where(Unit.parent_id == province.id))
        teams = db.session.scalar(select(func.count(Team.id)))
        dialect = db.engine.dialect.name
        return {
            "lesson": f"/learn/p/{program.code}/{lesson.slug}",
            "dashboard": f"/reports/?unit={province.code}",
            "about": f"{dialect}; province {province.code} ({children} units below it, {teams:,} teams); lesson «{lesson.title}»",
        }


# --------------------------------------------------------------------------- HTTP: sign in, check pages


class _Csrf(html.parser.HTMLParser):
    token: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") == "csrf_token":
            self.token = a.get("value")


def login(base: str, username: str) -> str:
    """Sign in through the login form (CSRF token from the form); returns the ``Cookie`` header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/auth/login") as resp:
        parser = _Csrf()
        parser.feed(resp.read().decode())
    data = urllib.parse.urlencode({"csrf_token": parser.token, "username": username, "password": PASSWORD}).encode()
    with opener.open(urllib.request.Request(f"{base}/auth/login", data=data)) as resp:
        if "/auth/login" in resp.url:
            sys.exit(f"sign-in as {username} failed (still on {resp.url})")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def fetch(base: str, path: str, cookie: str | None) -> tuple[int, int, str, str]:
    """(status, bytes on the wire, content encoding, decoded text) of one GET, redirects not followed."""
    import brotli

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ARG002 (redirects are not followed)
            return None

    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    if cookie:
        headers["Cookie"] = cookie
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(base + path, headers=headers)) as resp:
            raw, status, enc = resp.read(), resp.status, resp.headers.get("Content-Encoding", "")
    except urllib.error.HTTPError as exc:
        return exc.code, 0, "", ""
    if enc == "br":
        body = brotli.decompress(raw)
    elif enc == "gzip":
        import gzip

        body = gzip.decompress(raw)
    else:
        body = raw
    return status, len(raw), enc, body.decode("utf-8", "replace")


# --------------------------------------------------------------------------- wrk

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(url: str, cookie: str | None, seconds: int, connections: int, threads: int) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", "-H", f"Accept-Encoding: {ACCEPT_ENCODING}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", out)
    size = float(total.group(4)) * {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[total.group(5)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(lat["50"]),
        "p99": _ms(lat["99"]),
        "requests": int(total.group(1)),
        "bytes_per_response": size / max(int(total.group(1)), 1),
        "bad": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
        "raw": out,
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=os.environ.get("LMS_DATABASE_URL", DEFAULT_DB), help=f"database URL (default {DEFAULT_DB})")
    parser.add_argument("--prepare", action="store_true", help="load the province-scale synthetic roster if the database has no units")
    parser.add_argument("--redis", default=None, help="LMS_REDIS_URL for the server (cache store shared by the workers; default: none)")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per route (default 15)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unreported load per route first (default 3)")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--port", type=int, default=8752)
    parser.add_argument("--day", default="2026-11-15", help="LMS_TODAY for the server (default 2026-11-15, as P1)")
    parser.add_argument("--routes", default="healthz,lesson,dashboard", help="comma-separated subset to load")
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (Debian package), then run again.")

    instance = tempfile.mkdtemp(prefix="lms_p2_")
    env = {**os.environ, "LMS_DATABASE_URL": args.db, "LMS_TODAY": args.day, "LMS_INSTANCE_DIR": instance,
           "LMS_SECRET_KEY": os.urandom(16).hex(), "FLASK_APP": "wsgi"}
    env.pop("LMS_REDIS_URL", None)
    if args.redis:
        env["LMS_REDIS_URL"] = args.redis
    os.environ.update({k: env[k] for k in ("LMS_DATABASE_URL", "LMS_TODAY", "LMS_INSTANCE_DIR", "LMS_SECRET_KEY")})
    if args.redis:
        os.environ["LMS_REDIS_URL"] = args.redis
    if args.prepare:
        prepare_data(env)
    else:
        flask_cli(env, "init")  # the schema at head (idempotent)
    targets = prepare_accounts()

    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{args.port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                if fetch(base, "/healthz", None)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            sys.exit("gunicorn did not answer /healthz")
        cookies = {"healthz": None, "lesson": login(base, "p2-mediator"), "dashboard": login(base, "p2-officer")}
        paths = {"healthz": "/healthz", "lesson": targets["lesson"], "dashboard": targets["dashboard"]}
        must_show = {"healthz": '"ok"', "lesson": "lesson-body", "dashboard": "E1"}
        checked = {}
        for name, path in paths.items():
            status, size, enc, body = fetch(base, path, cookies[name])
            if status != 200 or must_show[name] not in body:
                sys.exit(f"{name} {path}: HTTP {status}, expected 200 with {must_show[name]!r} in the page")
            checked[name] = (size, enc or "identity")

        say(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; data: {targets['about']}")
        say(f"gunicorn -w {args.workers} (sync); wrk -t{args.threads} -c{args.connections} -d{args.duration}s on the same machine; "
            f"cache store: {'redis' if args.redis else 'in-process'}; day {args.day}")
        results = {}
        for name in [r for r in args.routes.split(",") if r]:
            url = base + paths[name]
            if args.warmup:
                run_wrk(url, cookies[name], args.warmup, args.connections, args.threads)
            r = run_wrk(url, cookies[name], args.duration, args.connections, args.threads)
            results[name] = r
            if args.verbose:
                say(r["raw"])
            size, enc = checked[name]
            say(f"  {name:<10} {r['rps']:8.0f} req/s  p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms  "
                f"{r['requests']:,} requests, {r['bytes_per_response']:,.0f} B each (checked: {size:,} B {enc})"
                + (f"  NON-2xx: {r['bad']}" if r["bad"] else "") + (f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else ""))
            if abs(r["bytes_per_response"] - size) > max(0.2 * size, 300):
                say(f"  warning: {name} answered {r['bytes_per_response']:,.0f} B on average, the checked response was {size:,} B")
        for name in ("healthz", "lesson", "dashboard"):
            if name in results:
                status, _, _, body = fetch(base, paths[name], cookies[name])
                if status != 200 or must_show[name] not in body:
                    say(f"  after the load, {name} answered HTTP {status}: its figures above are not the page's")
        if "healthz" in results:
            hello = results["healthz"]["rps"]
            say("goals: throughput ≥ 40% of hello-world, p99 ≤ 100 ms")
            for name in ("lesson", "dashboard"):
                if name not in results:
                    continue
                r = results[name]
                ratio = r["rps"] / hello
                ok = ratio >= GOAL_RATIO and r["p99"] <= GOAL_P99_MS
                say(f"  {name:<10} {r['rps']:.0f} / {hello:.0f} req/s = {ratio:.0%} of hello-world, p99 {r['p99']:.1f} ms: "
                    f"{'met' if ok else 'NOT met'}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
