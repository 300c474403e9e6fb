"""Soak test: N concurrent clients for M minutes against gunicorn on PostgreSQL; 0 errors, nothing lost.

    .venv/bin/python bench/soak.py                             # 50 clients, 5 minutes
    .venv/bin/python bench/soak.py --minutes 0.2 --clients 5   # smoke (about a minute with the set-up)

What it does:
1. creates a fresh database ``lms_soak_<random>`` on the PostgreSQL server of ``--db`` (an admin URL), runs
   ``flask lms init``, ``flask lms content import`` and ``flask lms setup`` (the demo province of Cần Thơ with its
   training history), then adds the soak's own accounts through the services: mediators enrolled in ``hgv``,
   trainers each with a class of that program (sessions on the days before "today" and one open all of today),
   commune officers who import, and province administrators who read;
2. starts ``rq worker`` and gunicorn (gthread workers) on 127.0.0.1 with ``LMS_DATABASE_URL``, ``LMS_REDIS_URL``,
   ``LMS_TODAY`` and ``LMS_PROXY_COUNT=1`` (each client sends its own ``X-Forwarded-For``, as behind a proxy, so the
   login rate limit counts per client);
3. runs the clients (threads, one ``requests.Session`` each, signed in with the CSRF token of the login form):
   mediators read, open lessons, submit quizzes (some right, some wrong) and check in by QR; trainers mark
   attendance and record results; officers upload a small mediators XLSX (dry run, then import; sometimes the
   same file again, which must change nothing); administrators read the dashboard and lists. A share of the writes
   (``--double``) is sent twice at once, as a double tap does, and both must succeed. Every response must
   have the expected status and content; anything else, a connection error or a time-out (> 10 s) is an error;
4. stops the servers and checks the database against what the clients recorded: quiz attempts, lessons opened,
   attendance marks (and their final status), imported people and memberships, completions and certificates
   (one per completed enrollment, at most one valid per person and program, serials without gaps);
5. prints requests by kind with p50/p99, errors, counts expected vs found, PASS/FAIL (exit status 1 on FAIL),
   and drops the database unless ``--keep``.

Only 127.0.0.1 is ever contacted; every loop is bounded by ``--minutes``.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import html
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIMEOUT = 10.0  # seconds; a slower answer is an error
PASSWORD = "soak-matkhau-2026"  # noqa: S105 (throw-away accounts in a throw-away database)
PHONE_PREFIX = "038"  # imported people; the demo's phones all start with 09
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --------------------------------------------------------------------------- statistics


class Stats:
    """Latencies by kind of request, and every error (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: dict[str, int] = collections.Counter()
        self.samples: list[str] = []

    def ok(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latency[kind].append(seconds)

    def error(self, kind: str, detail: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.samples) < 40:
                self.samples.append(f"{kind}: {detail}")

    @property
    def total_errors(self) -> int:
        return sum(self.errors.values())


class Failed(Exception):
    """A request did not give the expected answer (already recorded as an error)."""


@dataclass
class Done:
    """What the clients did and saw, to be checked against the database afterwards (thread-safe)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    attempts: dict[int, int] = field(default_factory=dict)  # attempt id -> person id
    lessons: set[tuple[int, str]] = field(default_factory=set)  # (person id, slug) opened with a 200
    online_complete: set[int] = field(default_factory=set)  # people who opened every lesson and passed the final quiz
    checkins: set[tuple[int, int]] = field(default_factory=set)  # (session id, person id)
    grid: dict[tuple[int, int], str] = field(default_factory=dict)  # (session id, person id) -> last status saved
    imported: set[str] = field(default_factory=set)  # phones of the people imported
    imports: int = 0
    reimports: int = 0
    uncertain: list[str] = field(default_factory=list)  # writes whose outcome is unknown (error, time-out)


# --------------------------------------------------------------------------- HTTP


class Http:
    def __init__(self, base: str, stats: Stats, forwarded_for: str) -> None:
        import requests

        self.requests = requests
        self.base = base
        self.stats = stats
        self.session = requests.Session()
        self.session.headers["X-Forwarded-For"] = forwarded_for
        self.session.headers["User-Agent"] = "lms-soak"

    def call(self, kind: str, method: str, path: str, *, expect=(200,), contains=(), data=None, files=None, location=None, session=None):
        started = time.perf_counter()
        try:
            resp = (session or self.session).request(method, self.base + path, data=data, files=files, allow_redirects=False, timeout=TIMEOUT)
        except self.requests.RequestException as exc:
            self.stats.error(kind, f"{method} {path}: {type(exc).__name__}: {exc}"[:300])
            raise Failed from None
        seconds = time.perf_counter() - started
        if resp.status_code not in expect:
            snippet = re.sub(r"\s+", " ", resp.text[:4000])
            alert = re.search(r'class="alert[^"]*"[^>]*>(.{0,200})', snippet)
            self.stats.error(kind, f"{method} {path}: HTTP {resp.status_code} (expected {expect}) {alert.group(1) if alert else snippet[:200]}")
            raise Failed
        if resp.status_code in (301, 302, 303) and location is not None and not re.search(location, resp.headers.get("Location", "")):
            self.stats.error(kind, f"{method} {path}: redirected to {resp.headers.get('Location')!r}, expected {location!r}")
            raise Failed
        text = resp.text if resp.status_code == 200 else ""
        for needle in contains if resp.status_code == 200 else ():
            if needle not in text:
                self.stats.error(kind, f"{method} {path}: {needle!r} not in the page")
                raise Failed
        self.stats.ok(kind, seconds)
        return resp

    def twice(self, kind: str, method: str, path: str, **kw) -> list:
        """The same request sent twice at once, as a double tap on a slow phone does: two connections, one browser
        session. Returns both outcomes (a response, or :class:`Failed`, already recorded as an error)."""
        other = self.requests.Session()
        other.headers.update(self.session.headers)
        other.cookies = self.session.cookies
        outcomes: list = [None, None]

        def send(i: int, session) -> None:
            try:
                outcomes[i] = self.call(kind, method, path, session=session, **kw)
            except Failed as exc:
                outcomes[i] = exc

        thread = threading.Thread(target=send, args=(1, other))
        thread.start()
        send(0, self.session)
        thread.join()
        other.close()
        return outcomes

    def send(self, double: bool, kind: str, method: str, path: str, **kw) -> tuple[list, bool]:
        """One request, or the same twice at once; the responses that came back as expected."""
        outcomes = self.twice(kind, method, path, **kw) if double else [self._try(kind, method, path, **kw)]
        return [o for o in outcomes if not isinstance(o, Failed)], any(isinstance(o, Failed) for o in outcomes)

    def _try(self, kind: str, method: str, path: str, **kw):
        try:
            return self.call(kind, method, path, **kw)
        except Failed as exc:
            return exc

    def follow(self, kind: str, resp, contains=(), hops: int = 1):
        """GET where ``resp`` redirects to (and on, up to ``hops`` redirects in all); the last page must be a 200."""
        for hop in range(hops):
            location = resp.headers["Location"]
            path = location.split("://", 1)[1] if "://" in location else location
            path = path[path.index("/"):]
            last = hop == hops - 1
            resp = self.call(kind, "GET", path, contains=contains, expect=(200,) if last else (200, 302))
            if resp.status_code == 200:
                return resp
        return resp


def csrf(text: str) -> str:
    match = CSRF_RE.search(text)
    if match is None:
        raise ValueError("no CSRF token")
    return html.unescape(match.group(1))


# --------------------------------------------------------------------------- clients


class Client(threading.Thread):
    role = "client"

    def __init__(self, n: int, account: dict, plan: dict, base: str, stats: Stats, done: Done, deadline: float, options, seed: int) -> None:
        super().__init__(name=f"{self.role}-{n}", daemon=True)
        self.account = account
        self.plan = plan
        self.stats = stats
        self.done = done
        self.deadline = deadline
        self.think = options.think
        self.double_share = options.double
        self.start_delay = n * options.ramp / options.clients
        self.rng = random.Random(seed)
        self.http = Http(base, stats, f"127.0.1.{n + 1}")
        self.actions = 0

    def login(self) -> None:
        page = self.http.call("login", "GET", "/auth/login", contains=('name="username"',))
        data = {"csrf_token": csrf(page.text), "username": self.account["username"], "password": PASSWORD}
        resp = self.http.call("login", "POST", "/auth/login", data=data, expect=(302,), location=r"/org/$")
        self.signed_in = True
        self.http.follow("login", resp, hops=3)  # /org/ redirects on to the role's home page (/org/units/<id> for staff)

    def double(self) -> bool:
        """Whether to send the next write twice at once (a double tap)."""
        return self.rng.random() < self.double_share

    def run(self) -> None:
        self.signed_in = False
        time.sleep(self.start_delay)  # the clients arrive over the ramp-up, not all in the same second
        while time.monotonic() < self.deadline:
            try:
                if not self.signed_in:
                    self.login()
                self.step()
                self.actions += 1
            except Failed:
                pass
            except Exception as exc:  # noqa: BLE001 (a client bug must show up as an error, not kill the thread)
                self.stats.error("client", f"{self.name}: {type(exc).__name__}: {exc}"[:300])
            pause = self.rng.uniform(0, 2 * self.think)
            time.sleep(max(0.0, min(pause, self.deadline - time.monotonic())))

    def step(self) -> None:
        raise NotImplementedError

    def choose(self, weighted: dict):
        return self.rng.choices(list(weighted), weights=list(weighted.values()))[0]


class Mediator(Client):
    """A mediator learning online: lessons, quizzes, the QR check-in of their class."""

    role = "mediator"

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.person_id = self.account["person_id"]
        self.opened: set[str] = set()
        self.final_passed = False
        self.klass = self.account.get("class")

    def step(self) -> None:
        action = self.choose({"home": 10, "program": 8, "lesson": 35, "quiz": 30, "checkin": 6 if self.klass else 0, "mine": 5, "classes": 6})
        getattr(self, action)()

    def home(self) -> None:
        self.http.call("learn home", "GET", "/learn/", contains=(self.plan["program_title"],))

    def program(self) -> None:
        self.http.call("program", "GET", "/learn/p/hgv", contains=(self.plan["program_title"],))

    def lesson(self) -> None:
        lessons = self.plan["lessons"]
        unopened = [lesson for lesson in lessons if lesson["slug"] not in self.opened]
        lesson = unopened[0] if unopened and self.rng.random() < 0.7 else self.rng.choice(lessons)
        first = lesson["slug"] not in self.opened  # the first opening writes (lesson view, access, completion)
        ok, failed = self.http.send(first and self.double(), "lesson", "GET", f"/learn/p/hgv/{lesson['slug']}", contains=(lesson["title_html"],))
        if ok:
            self.opened.add(lesson["slug"])
            with self.done.lock:
                self.done.lessons.add((self.person_id, lesson["slug"]))
            self._maybe_complete()
        if failed:
            raise Failed

    def quiz(self) -> None:
        quizzes = self.plan["quizzes"]
        final = next(q for q in quizzes if q["final"])
        if len(self.opened) == len(self.plan["lessons"]) and self.rng.random() < 0.5:
            quiz = final
        else:
            quiz = self.rng.choice(quizzes)
        page = self.http.call("quiz page", "GET", f"/learn/quiz/{quiz['id']}", contains=("Nộp bài",))
        shown = {}
        for kind, qid, value in re.findall(r'type="(radio|checkbox)" name="q(\d+)" id="q\d+-\d+" value="(\d+)"', page.text):
            shown.setdefault(int(qid), (kind, []))[1].append(int(value))
        if set(shown) != {q["id"] for q in quiz["questions"]}:
            self.stats.error("quiz page", f"quiz {quiz['id']}: questions shown {sorted(shown)} differ from the quiz")
            raise Failed
        right = 0
        data = {"csrf_token": csrf(page.text)}
        all_right = self.rng.random() < 0.55
        for q in quiz["questions"]:
            kind, values = shown[q["id"]]
            if all_right or self.rng.random() < 0.6:
                picked = list(q["correct"])
            else:
                wrong = [v for v in values if v not in q["correct"]]
                picked = [self.rng.choice(wrong)] if wrong else list(values)
                if kind == "checkbox" and self.rng.random() < 0.5:
                    picked = sorted(set(picked) | {q["correct"][0]})
            right += sorted(picked) == sorted(q["correct"])
            data[f"q{q['id']}"] = [str(v) for v in picked]
        ok, failed = self.http.send(self.double(), "quiz submit", "POST", f"/learn/quiz/{quiz['id']}", data=data, expect=(302,),
                                    location=r"/learn/attempt/\d+$")
        score = (100 * right) // len(quiz["questions"])
        with self.done.lock:
            for resp in ok:  # every submission is kept, a double tap too
                self.done.attempts[int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])] = self.person_id
            if failed:
                self.done.uncertain.append(f"quiz submit by person {self.person_id}")
        if failed:
            raise Failed
        self.http.follow("attempt", ok[0], contains=(f'<strong class="score">{score}</strong>',))
        if quiz["final"] and score >= self.plan["min_score"]:
            self.final_passed = True
            self._maybe_complete()

    def _maybe_complete(self) -> None:
        if self.final_passed and len(self.opened) == len(self.plan["lessons"]):
            with self.done.lock:
                self.done.online_complete.add(self.person_id)

    def checkin(self) -> None:
        code, session_id = self.klass["checkin_code"], self.klass["today_session"]
        page = self.http.call("checkin page", "GET", f"/learn/checkin/{code}", contains=("Xác nhận có mặt",))
        ok, failed = self.http.send(self.double(), "checkin", "POST", f"/learn/checkin/{code}", data={"csrf_token": csrf(page.text)},
                                    contains=('id="checkin-done"',))
        with self.done.lock:
            if ok:
                self.done.checkins.add((session_id, self.person_id))
            if failed:
                self.done.uncertain.append(f"check-in of person {self.person_id}")
        if failed:
            raise Failed

    def mine(self) -> None:
        self.http.call("my certificates", "GET", "/certificates/mine")

    def classes(self) -> None:
        self.http.call("my classes", "GET", "/learn/my-classes")


class Trainer(Client):
    """A trainer marking attendance (QR learners always present) and recording pass / fail."""

    role = "trainer"

    def step(self) -> None:
        action = self.choose({"attendance": 45, "results": 15, "detail": 20, "classes": 10, "qr": 10})
        getattr(self, action)()

    @property
    def klass(self) -> dict:
        return self.account["class"]

    def attendance(self) -> None:
        session_id = self.rng.choice(self.klass["sessions"])
        path = f"/learn/sessions/{session_id}/attendance"
        page = self.http.call("attendance page", "GET", path, contains=("Lưu điểm danh",))
        people = [int(p) for p in re.findall(r'data-person="(\d+)"', page.text)]
        if sorted(people) != sorted(self.klass["roster"]):
            self.stats.error("attendance page", f"session {session_id}: roster {sorted(people)} != {sorted(self.klass['roster'])}")
            raise Failed
        qr = set(self.klass["qr_learners"])
        chosen = {}
        for person_id in people:
            if person_id in qr:
                chosen[person_id] = "present"
            else:
                chosen[person_id] = self.choose({"present": 80, "absent": 12, "excused": 8})
        data = {"csrf_token": csrf(page.text), **{f"s{p}": v for p, v in chosen.items()}}
        ok, failed = self.http.send(self.double(), "attendance save", "POST", path, data=data, expect=(302,), location=re.escape(path) + "$")
        with self.done.lock:
            if ok or failed:  # a failed save may have been written: its statuses are the last ones sent either way
                for person_id, status in chosen.items():
                    self.done.grid[(session_id, person_id)] = status
            if failed:
                self.done.uncertain.append(f"attendance of session {session_id}")
        if failed:
            raise Failed
        self.http.follow("attendance page", ok[0], contains=("Đã lưu điểm danh",))

    def results(self) -> None:
        path = f"/learn/classes/{self.klass['id']}/results"
        page = self.http.call("results page", "GET", path)
        rows = sorted(set(re.findall(r'name="passed-(\d+)"', page.text)))
        data = {"csrf_token": csrf(page.text)}
        for row in rows:
            value = self.choose({"1": 75, "0": 10, "": 15})
            if value:
                data[f"passed-{row}"] = value
        ok, failed = self.http.send(self.double(), "results save", "POST", path, data=data, expect=(302,), location=re.escape(path) + "$")
        if failed:
            raise Failed
        self.http.follow("results page", ok[0], contains=("Đã lưu kết quả",))

    def detail(self) -> None:
        self.http.call("class page", "GET", f"/learn/classes/{self.klass['id']}", contains=(self.klass["title"],))

    def classes(self) -> None:
        self.http.call("class list", "GET", "/learn/classes", contains=(self.klass["title"],))

    def qr(self) -> None:
        self.http.call("session QR", "GET", f"/learn/sessions/{self.klass['today_session']}/qr", contains=("<svg",))


class Officer(Client):
    """A commune justice officer importing new mediators (and re-importing the last file), and reading lists."""

    role = "officer"

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.sequence = 0
        self.last_file: bytes | None = None

    def step(self) -> None:
        action = self.choose({"new_import": 30, "reimport": 10 if self.last_file else 0, "imports_page": 10, "people": 20, "commune": 15, "progress": 15})
        getattr(self, action)()

    def _job(self, kind: str, resp, contains: tuple[str, ...]):
        """Follow a redirect to an import job's page and wait for its result (the page refreshes itself every 2 s)."""
        where = resp.headers.get("Location", "")
        match = re.search(r"/org/imports/jobs/\d+$", where)
        if match is None:
            self.stats.error(kind, f"redirected to {where!r}, expected an import job's page")
            raise Failed
        deadline = time.monotonic() + 60
        while True:
            page = self.http.call(kind + " (job page)", "GET", match.group(0), expect=(200, 422))
            if "Trạng thái:" not in page.text or time.monotonic() > deadline:  # the result replaced the progress page
                break
            time.sleep(0.5)
        for needle in contains:
            if needle not in page.text:
                self.stats.error(kind, f"{match.group(0)}: {needle!r} not in the result")
                raise Failed
        return page

    def _upload(self, body: bytes, expect_created: int) -> None:
        page = self.http.call("imports page", "GET", "/org/imports", contains=("Hòa giải viên",))
        files = {"mediators-file": ("danh-sach-hoa-giai-vien.xlsx", body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
        # the check and the import run as jobs: each POST redirects to the job's page, which ends on the result
        started = self.http.call("import check", "POST", "/org/imports/mediators", data={"csrf_token": csrf(page.text)}, files=files, expect=(302,))
        checked = self._job("import check", started, (f"Tệp hợp lệ: {self.plan['import_rows']} dòng.",))
        token = re.search(r'name="token" type="hidden" value="([^"]+)"', checked.text)
        if token is None:
            self.stats.error("import check", "no confirmation form")
            raise Failed
        try:
            resp = self.http.call("import run", "POST", "/org/imports/mediators/run", data={"csrf_token": csrf(checked.text), "token": token.group(1)},
                                  expect=(302,), location=r"/org/imports/jobs/\d+$")
            # the result says what was written: new files create every row, a re-import creates nothing
            self._job("import run", resp, (
                f"Đã nhập {self.plan['import_rows']} dòng", f"Người: tạo mới {expect_created},", f"Lượt công nhận hòa giải viên: tạo mới {expect_created},"))
        except Failed:
            with self.done.lock:
                self.done.uncertain.append(f"import by {self.account['username']}")
            raise

    def new_import(self) -> None:
        from tests.fixtures.imports import build_file

        self.sequence += 1
        rows, phones = [], []
        for i in range(self.plan["import_rows"]):
            phone = f"{PHONE_PREFIX}{self.account['index']:02d}{self.sequence:03d}{i:02d}"
            female = i % 2 == 0
            family = self.rng.choice(("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ"))
            given = self.rng.choice(("Thị Lan", "Thị Hương", "Ngọc Mai")) if female else self.rng.choice(("Văn Hùng", "Minh Tuấn", "Quốc Bảo"))
            rows.append({
                "Họ và tên": f"{family} {given}", "Giới tính": "Nữ" if female else "Nam", "Năm sinh": self.rng.randint(1960, 1995),
                "Số điện thoại": phone, "Mã thôn": self.rng.choice(self.account["villages"]),
                "Số quyết định công nhận": f"{self.sequence}/QĐ-UBND", "Ngày công nhận": self.plan["recognized_on"],
            })
            phones.append(phone)
        body = build_file(rows)
        self._upload(body, len(rows))
        self.last_file = body
        with self.done.lock:
            self.done.imported.update(phones)
            self.done.imports += 1

    def reimport(self) -> None:
        self._upload(self.last_file, 0)
        with self.done.lock:
            self.done.reimports += 1

    def imports_page(self) -> None:
        self.http.call("imports page", "GET", "/org/imports", contains=("Hòa giải viên",))

    def people(self) -> None:
        self.http.call("people list", "GET", "/org/people?q=" + self.rng.choice(("Nguyen", "Trần", "Thị", "Lê")))

    def commune(self) -> None:
        self.http.call("unit page", "GET", f"/org/units/{self.account['unit_id']}", contains=(self.account["unit_name"],))

    def progress(self) -> None:
        self.http.call("progress list", "GET", "/learn/progress")


class Admin(Client):
    """A province administrator reading the dashboard, work lists and lists."""

    role = "admin"

    def step(self) -> None:
        action = self.choose({"dashboard": 25, "worklist": 10, "deadlines": 5, "people": 15, "certificates": 15, "classes": 10, "progress": 10, "unit": 10})
        getattr(self, action)()

    def dashboard(self) -> None:
        self.http.call("dashboard", "GET", "/reports/", contains=("E1",))

    def worklist(self) -> None:
        self.http.call("work list", "GET", "/reports/worklists/" + self.rng.choice(("d", "e1", "g")))

    def deadlines(self) -> None:  # the E3 work list (6-month rule)
        self.http.call("deadlines list", "GET", "/certificates/deadlines")

    def people(self) -> None:
        self.http.call("people list", "GET", "/org/people?q=" + self.rng.choice(("Nguyen", "Trần", "Thị", "Sơn")))

    def certificates(self) -> None:
        self.http.call("certificate list", "GET", "/certificates/")

    def classes(self) -> None:
        self.http.call("class list", "GET", "/learn/classes")

    def progress(self) -> None:
        self.http.call("progress list", "GET", "/learn/progress")

    def unit(self) -> None:
        self.http.call("unit page", "GET", f"/org/units/{self.account['unit_id']}")


CLIENT_KINDS = {"mediator": Mediator, "trainer": Trainer, "officer": Officer, "admin": Admin}


# --------------------------------------------------------------------------- database and data


def split(clients: int) -> dict[str, int]:
    """How many clients of each kind: mostly mediators, as in real use."""
    officers = max(1, round(clients * 0.04))
    admins = max(1, round(clients * 0.06))
    trainers = max(1, round(clients * 0.10))
    return {"mediator": max(1, clients - officers - admins - trainers), "trainer": trainers, "officer": officers, "admin": admins}


def admin_connect(admin_url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    return psycopg.connect(make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True)


def create_database(admin_url: str) -> str:
    from sqlalchemy.engine import make_url

    name = f"lms_soak_{secrets.token_hex(4)}"
    with admin_connect(admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    from sqlalchemy.engine import make_url

    with admin_connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def flask(env: dict, *args: str) -> None:
    subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "lms", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def prepare(app, counts: dict[str, int], seed: int, import_rows: int) -> dict:
    """The soak's accounts, classes and answer keys (through the services, committed like a CLI command)."""
    from markupsafe import escape
    from sqlalchemy import exists, func, select

    from lms.certificates.models import Certificate
    from lms.classes import services as classes
    from lms.classes.models import Assessment, ClassMode, ClassStatus
    from lms.core import clock
    from lms.core.roles import Role
    from lms.curriculum.services import current_program
    from lms.devdata.demo import demo_province
    from lms.extensions import db
    from lms.learning import services
    from lms.learning.models import Enrollment
    from lms.org.models import MediatorMembership, Person, TrainerAppointment, Unit, UnitKind, User
    from lms.org.services import accounts

    rng = random.Random(seed)
    today = clock.today()
    with app.app_context():
        province = demo_province()
        program = current_program("hgv")
        clean = (
            ~exists().where(User.person_id == Person.id),
            ~exists().where(Certificate.person_id == Person.id, Certificate.program_code == "hgv"),
            ~exists().where(Enrollment.person_id == Person.id),
        )
        eligible = list(db.session.scalars(
            select(Person.id).where(Person.id.in_(select(MediatorMembership.person_id).where(MediatorMembership.active_clause(today))), *clean)
            .order_by(Person.id)
        ))
        per_class = 10
        need = counts["mediator"] + counts["trainer"] * per_class
        picked = rng.sample(eligible, need)
        learner_ids, extra_ids = picked[:counts["mediator"]], picked[counts["mediator"]:]

        plan: dict = {"accounts": {k: [] for k in counts}, "program_title": program.title, "min_score": program.min_score,
                      "import_rows": import_rows, "recognized_on": today - dt.timedelta(days=10)}
        plan["lessons"] = [{"slug": lesson.slug, "title_html": str(escape(lesson.title))} for lesson in program.lessons]
        plan["quizzes"] = [
            {"id": m.quiz.id, "final": m.is_final, "questions": [{"id": q.id, "correct": list(q.correct)} for q in m.quiz.questions]}
            for m in program.modules if m.quiz is not None
        ]

        for n, person_id in enumerate(learner_ids):
            person = db.session.get(Person, person_id)
            username = f"soak.hgv{n + 1:03d}"
            accounts.create_user(username=username, role=Role.MEDIATOR, unit=person.unit, person=person, password=PASSWORD, must_change_password=False)
            services.enroll(person, program)
            plan["accounts"]["mediator"].append({"username": username, "person_id": person_id})

        trainer_ids = list(db.session.scalars(
            select(TrainerAppointment.person_id).where(TrainerAppointment.active_clause(today), TrainerAppointment.unit_id == province.id,
                                                       ~exists().where(User.person_id == TrainerAppointment.person_id))
            .order_by(TrainerAppointment.person_id)
        ))
        if len(trainer_ids) < counts["trainer"]:
            raise SystemExit(f"only {len(trainer_ids)} trainers without an account in the demo province")
        mediators = plan["accounts"]["mediator"]
        for n, person_id in enumerate(trainer_ids[:counts["trainer"]]):
            person = db.session.get(Person, person_id)
            username = f"soak.thv{n + 1:02d}"
            user, _ = accounts.create_user(username=username, role=Role.TRAINER, unit=province, person=person, password=PASSWORD, must_change_password=False)
            klass = classes.create_class(
                title=f"Lớp bồi dưỡng hòa giải viên số {n + 1} (soak)", program_code="hgv", unit=province, mode=ClassMode.IN_PERSON.value,
                starts_on=today - dt.timedelta(days=7), ends_on=today + dt.timedelta(days=7), capacity=40, venue="Hội trường UBND",
                trainers=[person], min_attendance=80, assessment=Assessment.PASS_FAIL.value, by=user,
            )
            sessions = [classes.add_session(klass, today - dt.timedelta(days=d), dt.time(7, 30), dt.time(11, 0), f"Buổi {5 - d}") for d in (4, 3, 2, 1)]
            sessions.append(classes.add_session(klass, today, dt.time(0, 0), dt.time(23, 59), "Buổi 5 (cả ngày)"))
            klass.status = ClassStatus.OPEN.value
            # every other mediator account learns in a class too (QR check-in), beside people without an account
            qr = [m for i, m in enumerate(mediators) if i % 2 == 0 and (i // 2) % counts["trainer"] == n]
            others = extra_ids[n * per_class:(n + 1) * per_class]
            people = [db.session.get(Person, p) for p in [m["person_id"] for m in qr] + others]
            classes.enroll(klass, people, by=user)
            info = {"id": klass.id, "title": klass.title, "sessions": [s.id for s in sessions], "today_session": sessions[-1].id,
                    "checkin_code": sessions[-1].checkin_code, "roster": [p.id for p in people], "qr_learners": [m["person_id"] for m in qr]}
            for m in qr:
                m["class"] = info
            plan["accounts"]["trainer"].append({"username": username, "person_id": person_id, "class": info})

        communes = list(db.session.scalars(
            select(Unit).where(Unit.kind == UnitKind.COMMUNE, Unit.parent_id == province.id, Unit.valid_to.is_(None)).order_by(Unit.id)
        ))
        for n, commune in enumerate(rng.sample(communes[1:], counts["officer"])):
            username = f"soak.tuphap{n + 1:02d}"
            accounts.create_user(username=username, role=Role.COMMUNE_OFFICER, unit=commune, password=PASSWORD, must_change_password=False,
                                 full_name=f"Công chức Tư pháp - Hộ tịch {commune.name}")
            # the villages stay under the old communes that went into the new one (its scope)
            villages = list(db.session.scalars(select(Unit.code).where(Unit.kind == UnitKind.VILLAGE, Unit.scope_clause(commune.path)).order_by(Unit.code)))
            plan["accounts"]["officer"].append({"username": username, "index": n + 1, "unit_id": commune.id, "unit_name": commune.name, "villages": villages})
        for n in range(counts["admin"]):
            username = f"soak.sotuphap{n + 1:02d}"
            accounts.create_user(username=username, role=Role.PROVINCE_ADMIN, unit=province, password=PASSWORD, must_change_password=False,
                                 full_name="Sở Tư pháp (soak)")
            plan["accounts"]["admin"].append({"username": username, "unit_id": province.id})
        if db.session.scalar(select(func.count(Person.id)).where(Person.phone.like(f"{PHONE_PREFIX}%"))):
            raise SystemExit(f"people with phones {PHONE_PREFIX}… already exist; the import counts would be ambiguous")
        db.session.commit()
        plan["baseline"] = baseline(app)
    return plan


def _soak_people(plan: dict) -> set[int]:
    people = {m["person_id"] for m in plan["accounts"]["mediator"]}
    for t in plan["accounts"]["trainer"]:
        people.update(t["class"]["roster"])
    return people


def baseline(app) -> dict:
    from sqlalchemy import func, select

    from lms.certificates.models import Certificate, SerialCounter
    from lms.extensions import db
    from lms.learning.models import QuizAttempt
    from lms.org.models import MediatorMembership, Person

    with app.app_context():
        return {
            "people": db.session.scalar(select(func.count(Person.id))),
            "memberships": db.session.scalar(select(func.count(MediatorMembership.id))),
            "attempts": db.session.scalar(select(func.count(QuizAttempt.id))),
            "certificates": db.session.scalar(select(func.count(Certificate.id))),
            "max_certificate_id": db.session.scalar(select(func.max(Certificate.id))) or 0,
            "serials": db.session.scalar(select(func.coalesce(func.sum(SerialCounter.last), 0))),
            "people_with_two_valid": _people_with_two_valid(db),
        }


def _people_with_two_valid(db) -> int:
    from sqlalchemy import func, select

    from lms.certificates.models import Certificate

    dupes = (
        select(Certificate.person_id).where(Certificate.revoked_on.is_(None), Certificate.replaced_by_id.is_(None))
        .group_by(Certificate.person_id, Certificate.program_code).having(func.count() > 1)
    )
    return db.session.scalar(select(func.count()).select_from(dupes.subquery()))


# --------------------------------------------------------------------------- checks


def check(app, plan: dict, done: Done) -> list[tuple[str, object, object, bool]]:
    """``(what, expected, found, ok)`` for every count the clients can vouch for."""
    from sqlalchemy import func, select

    from lms.certificates.models import Certificate, SerialCounter
    from lms.classes.models import Attendance, ClassEnrollment
    from lms.extensions import db
    from lms.learning.models import Enrollment, EnrollmentStatus, LessonView, QuizAttempt
    from lms.org.models import MediatorMembership, Person

    base = plan["baseline"]
    rows: list[tuple[str, object, object, bool]] = []

    def add(what: str, expected, found) -> None:
        rows.append((what, expected, found, expected == found))

    learners = [m["person_id"] for m in plan["accounts"]["mediator"]]
    people = _soak_people(plan)
    sessions = [s for t in plan["accounts"]["trainer"] for s in t["class"]["sessions"]]
    with app.app_context():
        attempts = dict(db.session.execute(select(QuizAttempt.id, QuizAttempt.person_id).where(QuizAttempt.person_id.in_(learners))).all())
        add("quiz attempts (new, all people)", len(done.attempts), db.session.scalar(select(func.count(QuizAttempt.id))) - base["attempts"])
        add("quiz attempts recorded = stored (id → person)", len(done.attempts), sum(1 for k, v in done.attempts.items() if attempts.get(k) == v))
        add("quiz attempts of the soak's mediators", len(done.attempts), len(attempts))

        views = set(db.session.execute(select(LessonView.person_id, LessonView.lesson_slug).where(LessonView.person_id.in_(learners))).all())
        add("lessons opened (person, lesson)", len(done.lessons), len(views))
        add("lessons opened: the same pairs", True, views == done.lessons)

        stored = {(s, p): status for s, p, status in db.session.execute(
            select(Attendance.session_id, Attendance.person_id, Attendance.status).where(Attendance.session_id.in_(sessions)))}
        expected = dict(done.grid)
        for pair in done.checkins:
            expected[pair] = "present"
        add("attendance marks (session, person)", len(expected), len(stored))
        add("attendance marks with the last status saved", len(expected), sum(1 for k, v in expected.items() if stored.get(k) == v))

        add("people (new)", len(done.imported), db.session.scalar(select(func.count(Person.id))) - base["people"])
        imported = dict(db.session.execute(
            select(Person.phone, func.count(Person.id)).where(Person.phone.like(f"{PHONE_PREFIX}%")).group_by(Person.phone)).all())
        add("imported people, each once", len(done.imported), sum(1 for p in done.imported if imported.get(p) == 1))
        add("memberships (new)", len(done.imported), db.session.scalar(select(func.count(MediatorMembership.id))) - base["memberships"])
        add("memberships of imported people", len(done.imported), db.session.scalar(
            select(func.count(MediatorMembership.id)).join(Person, Person.id == MediatorMembership.person_id).where(Person.phone.like(f"{PHONE_PREFIX}%"))))

        enrollments = {e.id: e for e in db.session.scalars(select(Enrollment).where(Enrollment.person_id.in_(people), Enrollment.program_code == "hgv"))}
        completed = {e.id for e in enrollments.values() if e.status == EnrollmentStatus.COMPLETED}
        certs = list(db.session.scalars(select(Certificate).where(Certificate.id > base["max_certificate_id"])))
        per_enrollment = collections.Counter(c.enrollment_id for c in certs)
        add("certificates (new) = completed enrollments", len(completed), len(certs))
        add("completed enrollments with exactly one certificate", len(completed), sum(1 for e in completed if per_enrollment[e] == 1))
        add("people with two valid certificates of a program", base["people_with_two_valid"], _people_with_two_valid(db))
        add("serial numbers used (new)", len(certs), db.session.scalar(select(func.coalesce(func.sum(SerialCounter.last), 0))) - base["serials"])
        by_person = {e.person_id: e for e in enrollments.values()}
        add("online completions seen by clients, recorded", len(done.online_complete),
            sum(1 for p in done.online_complete if by_person.get(p) is not None and by_person[p].id in completed))
        class_done = list(db.session.scalars(select(ClassEnrollment).where(ClassEnrollment.status == ClassEnrollment.COMPLETED,
                                                                           ClassEnrollment.person_id.in_(people))))
        add("class completions with a completed enrollment", len(class_done),
            sum(1 for r in class_done if by_person.get(r.person_id) is not None and by_person[r.person_id].id in completed))
        rows.append(("completions: online / class (information)", "", f"{len([e for e in completed if enrollments[e].via == 'online'])} / "
                     f"{len([e for e in completed if enrollments[e].via == 'class'])}", True))
    return rows


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, proc, seconds: float = 60) -> None:
    import requests

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited at start; see its log")
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz in time")


def stop(proc) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def server_errors(log: Path) -> collections.Counter:
    """What went wrong in the server, from gunicorn's error log: each exception (its last line) or
    worker time-out, with how often it happened."""
    found: collections.Counter = collections.Counter()
    if not log.exists():
        return found
    for line in log.read_text(errors="replace").splitlines():
        if re.match(r"[\w.]+(Error|Exception|Violation|Deadlock\w*)\b", line) and not line.startswith("psycopg.errors"):
            found[line.split("\n")[0][:200]] += 1
        elif "WORKER TIMEOUT" in line or re.search(r"\[(ERROR|CRITICAL)\]", line):
            found[re.sub(r"^\[[^]]*\] \[\d+\] ", "", line)[:200]] += 1
    return found


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=os.environ.get("LMS_TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="admin URL of the PostgreSQL server (a database lms_soak_<random> is created there)")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--think", type=float, default=3.0, help="mean pause between a client's actions, seconds (uniform 0–2×)")
    parser.add_argument("--ramp", type=float, default=20.0, help="seconds over which the clients arrive and sign in")
    parser.add_argument("--double", type=float, default=0.05, help="share of writes sent twice at once (double taps)")
    parser.add_argument("--keep-alive", type=int, default=75, help="gunicorn --keep-alive, seconds (longer than any pause)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11", help="Redis for RQ and the rate limiter")
    parser.add_argument("--today", default="2026-11-20", help="LMS_TODAY for the set-up and the server")
    parser.add_argument("--import-rows", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database (and print its URL)")
    args = parser.parse_args()
    if args.clients < 4:
        parser.error("--clients must be at least 4 (one of each kind)")
    args.ramp = min(args.ramp, args.minutes * 60 / 2)

    started = time.monotonic()
    url = create_database(args.db)
    tmp = Path(tempfile.mkdtemp(prefix="lms_soak_"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ, "LMS_DATABASE_URL": url, "LMS_TODAY": args.today, "LMS_REDIS_URL": args.redis, "LMS_INSTANCE_DIR": str(tmp / "instance"),
        "LMS_SECRET_KEY": secrets.token_hex(32), "LMS_PROXY_COUNT": "1", "LMS_PUBLIC_URL": base, "PYTHONUNBUFFERED": "1",
    }
    os.environ.update({k: env[k] for k in ("LMS_DATABASE_URL", "LMS_TODAY", "LMS_REDIS_URL", "LMS_INSTANCE_DIR", "LMS_SECRET_KEY")})
    gunicorn = worker = None
    status = 1
    try:
        print(f"database {url.rsplit('/', 1)[1]}; setting up (init, content import, setup: demo province and history)…", flush=True)
        for command in (("init",), ("content", "import"), ("setup",)):
            flask(env, *command)
        from lms import create_app

        app = create_app()
        counts = split(args.clients)
        plan = prepare(app, counts, args.seed, args.import_rows)
        print(f"set up in {time.monotonic() - started:.0f} s; clients: {counts}", flush=True)

        worker = subprocess.Popen([str(ROOT / ".venv/bin/rq"), "worker", "--url", args.redis, "lms"], cwd=ROOT, env=env,
                                  stdout=open(tmp / "rq.log", "w"), stderr=subprocess.STDOUT)  # noqa: SIM115
        gunicorn_log = tmp / "gunicorn.log"
        gunicorn = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads), "-b", f"127.0.0.1:{port}",
             "--timeout", "60", "--keep-alive", str(args.keep_alive), "--error-logfile", str(gunicorn_log), "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_healthy(base, gunicorn)

        stats, done = Stats(), Done()
        deadline = time.monotonic() + args.ramp * (args.clients - 1) / args.clients + args.minutes * 60
        clients: list[Client] = []
        n = 0
        for kind in counts:
            for account in plan["accounts"][kind]:
                clients.append(CLIENT_KINDS[kind](n, account, plan, base, stats, done, deadline, args, args.seed * 1000 + n))
                n += 1
        assert len(clients) == args.clients, (len(clients), args.clients)  # noqa: S101
        args.load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
        run_started = time.monotonic()
        print(f"{len(clients)} clients for {args.minutes:g} min against gunicorn -w {args.workers} -k gthread --threads {args.threads} …", flush=True)
        for c in clients:
            c.start()
        for c in clients:
            c.join(timeout=max(1.0, deadline - time.monotonic() + 3 * TIMEOUT))
        elapsed = time.monotonic() - run_started
        alive = [c.name for c in clients if c.is_alive()]
        if alive:
            stats.error("client", f"still running after the deadline: {alive}")
        stop(gunicorn)
        stop(worker)
        logged = server_errors(gunicorn_log)

        rows = check(app, plan, done)
        status = report(args, stats, done, rows, logged, elapsed, counts)
    finally:
        stop(gunicorn)
        stop(worker)
        if args.keep:
            print(f"kept: {url} (server files in {tmp})")
        else:
            drop_database(args.db, url)
    return status


def report(args, stats: Stats, done: Done, rows, logged: collections.Counter, elapsed: float, counts: dict) -> int:
    total = sum(len(v) for v in stats.latency.values())
    print()
    print(f"== soak: {args.clients} clients ({', '.join(f'{v} {k}s' for k, v in counts.items())}), {elapsed:.0f} s, "
          f"{total} requests ({total / elapsed:.1f}/s); think time mean {args.think:g} s, ramp-up {args.ramp:g} s, "
          f"{100 * args.double:g} % of writes sent twice at once; gunicorn -w {args.workers} -k gthread --threads {args.threads}")
    print(f"machine: {os.cpu_count()} cores, load average {args.load_before} before the run, {' '.join(f'{x:.1f}' for x in os.getloadavg())} after")
    print(f"{'kind':<28}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind in sorted(set(stats.latency) | set(stats.errors)):
        lat = stats.latency.get(kind, [])
        print(f"{kind:<28}{len(lat):>9}{stats.errors.get(kind, 0):>8}{1000 * percentile(lat, 0.5):>9.0f}{1000 * percentile(lat, 0.99):>9.0f}"
              f"{1000 * max(lat, default=float('nan')):>9.0f}")
    all_lat = [x for v in stats.latency.values() for x in v]
    print(f"{'all':<28}{len(all_lat):>9}{stats.total_errors:>8}{1000 * percentile(all_lat, 0.5):>9.0f}{1000 * percentile(all_lat, 0.99):>9.0f}"
          f"{1000 * max(all_lat, default=float('nan')):>9.0f}")
    print(f"imports: {done.imports} new files ({len(done.imported)} people), {done.reimports} re-imports of the same file")
    if stats.samples:
        print("errors (first ones):")
        for line in stats.samples:
            print("  " + line)
    if done.uncertain:
        print(f"writes with an unknown outcome: {len(done.uncertain)} (e.g. {done.uncertain[:3]})")
    if logged:
        print(f"server log: {sum(logged.values())} errors:")
        for line, n in logged.most_common(10):
            print(f"  {n:>4} × {line}")
    print()
    print(f"{'check':<52}{'expected':>10}{'found':>10}")
    for what, expected, found, ok in rows:
        print(f"{what:<52}{expected!s:>10}{found!s:>10}  {'' if ok else 'MISMATCH'}")
    passed = stats.total_errors == 0 and not logged and all(ok for *_, ok in rows) and total > 0
    print()
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
