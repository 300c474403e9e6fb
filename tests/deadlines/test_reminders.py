"""Reminders of the 6-month rule: the right people on the right days, nothing twice, weekly digests; mail; the CLI."""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from lms.core import jobs
from lms.core.mail import send_mail
from lms.core.models import Job
from lms.core.notifications import Notification
from lms.core.roles import Role
from lms.deadlines import reminders
from lms.deadlines.reminders import digest_key, reminder_key, run_reminders
from lms.org.models import LeaveReason
from lms.org.services import roster

D = dt.date
TODAY = D(2026, 6, 1)  # a Monday (ISO week 23)


def recognized_for(deadline: dt.date) -> dt.date:
    return deadline - relativedelta(months=6)


def due_in(days: int) -> dt.date:
    """The recognition date whose deadline is ``days`` after TODAY."""
    return recognized_for(TODAY + dt.timedelta(days=days))


def notes(**where) -> list[Notification]:
    from lms.extensions import db

    stmt = select(Notification).order_by(Notification.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(Notification, key) == value)
    return list(db.session.scalars(stmt))


def count_notes() -> int:
    from lms.extensions import db

    return db.session.scalar(select(func.count(Notification.id)))


@pytest.fixture
def world(db, freeze, tree, make_mediator, make_user, make_certificate):
    freeze(TODAY)
    w = SimpleNamespace(tree=tree)
    w.m60 = make_mediator(tree.T1, recognized_on=due_in(60), name="Nguyễn Thị Sáu Mươi", decision_no="12/QĐ-UBND")
    w.m30 = make_mediator(tree.T1, recognized_on=due_in(30), name="Trần Văn Ba Mươi", email="bamuoi@example.vn")
    w.m7 = make_mediator(tree.T2, recognized_on=due_in(7), name="Lê Thị Bảy")
    w.m61 = make_mediator(tree.T2, recognized_on=due_in(61), name="Phạm Văn Chưa Tới")
    w.certified = make_mediator(tree.T1, recognized_on=due_in(30), name="Đỗ Thị Đã Học")
    make_certificate(w.certified.person, issued_on=TODAY - dt.timedelta(days=20))
    w.left = make_mediator(tree.T1, recognized_on=due_in(30), name="Võ Văn Đã Nghỉ")
    roster.end_membership(w.left, left_on=TODAY - dt.timedelta(days=1), reason=LeaveReason.OWN_REQUEST)
    w.overdue = make_mediator(tree.T2, recognized_on=due_in(-10), name="Hoàng Thị Quá Hạn")
    w.overdue_c2 = make_mediator(tree.T3, recognized_on=due_in(-40), name="Bùi Văn Xã Bên")
    # accounts: m60 has one (a mediator login); m30 has none
    w.user60 = make_user(Role.MEDIATOR, tree.V1, person=w.m60.person)
    w.officer_c1 = make_user(Role.COMMUNE_OFFICER, tree.C1, username="cb-anhoa")
    w.officer_c3 = make_user(Role.COMMUNE_OFFICER, tree.C3, username="cb-thanhphu")  # nobody overdue there
    db.session.commit()
    return w


def test_deadlines_are_where_the_test_says(world):
    assert world.m60.deadline == TODAY + dt.timedelta(days=60)
    assert world.m30.deadline == TODAY + dt.timedelta(days=30)
    assert world.m7.deadline == TODAY + dt.timedelta(days=7)


def test_the_right_people_on_the_right_day(db, world):
    summary = run_reminders(TODAY)
    db.session.commit()
    assert summary["by_stage"] == {"60": 1, "30": 1, "7": 1}
    assert summary["reminders"] == 3
    sent = {n.key: n for n in notes(kind=reminders.REMINDER_KIND)}
    assert set(sent) == {reminder_key(world.m60.id, "60"), reminder_key(world.m30.id, "30"), reminder_key(world.m7.id, "7")}
    # the account holder gets it in the app; the person without an account still has it stored
    n60 = sent[reminder_key(world.m60.id, "60")]
    assert (n60.user_id, n60.person_id, n60.delivery) == (world.user60.id, world.m60.person_id, "app")
    assert "Còn 60 ngày" in n60.title and "31/07/2026" in n60.body and "12/QĐ-UBND" in n60.body
    n30 = sent[reminder_key(world.m30.id, "30")]
    assert n30.user_id is None and n30.person_id == world.m30.person_id
    assert n30.delivery == "log" and n30.emailed_at is None  # has an email, no SMTP: written to the log
    assert n30.link == "/learn/p/hgv"
    # certified, left, overdue and too-early people get no reminder
    for m in (world.certified, world.left, world.overdue, world.overdue_c2, world.m61):
        assert not [n for n in notes(person_id=m.person_id) if n.kind == reminders.REMINDER_KIND]


def test_overdue_only_in_the_officers_digest(db, world):
    summary = run_reminders(TODAY)
    db.session.commit()
    assert summary["digests"] == 1
    (digest,) = notes(kind=reminders.DIGEST_KIND)
    assert digest.user_id == world.officer_c1.id
    assert digest.key == digest_key(world.officer_c1.id, TODAY) == f"digest:{world.officer_c1.id}:2026-W23"
    assert "Hoàng Thị Quá Hạn" in digest.body and "quá hạn 10 ngày" in digest.body
    assert "1 hòa giải viên của Phường An Hòa" in digest.title
    # the other commune's overdue mediator, and people not overdue, are not in C1's digest
    for name in ("Bùi Văn Xã Bên", "Nguyễn Thị Sáu Mươi", "Lê Thị Bảy", "Đỗ Thị Đã Học"):
        assert name not in digest.body
    # the commune with nobody overdue gets no digest
    assert not notes(user_id=world.officer_c3.id)


def test_nothing_twice_on_the_same_day(db, world):
    first = run_reminders(TODAY)
    db.session.commit()
    n = count_notes()
    second = run_reminders(TODAY)
    db.session.commit()
    assert first["reminders"] == 3 and first["digests"] == 1
    assert second["reminders"] == 0 and second["digests"] == 0 and second["logged"] == 0
    assert count_notes() == n


def test_each_stage_once_and_a_missed_day_still_sends(db, freeze, world):
    def stages_of(m):
        return sorted(n.key.rsplit(":", 1)[1] for n in notes(person_id=m.person_id) if n.kind == reminders.REMINDER_KIND)

    run_reminders(TODAY)
    db.session.commit()
    assert stages_of(world.m60) == ["60"]
    # 31 days left for m60: still in the 60-day window, already sent; m61 (32 days left) gets its first one
    day = freeze(TODAY + dt.timedelta(days=29))
    run_reminders(day)
    db.session.commit()
    assert stages_of(world.m60) == ["60"] and stages_of(world.m61) == ["60"]
    # the cron did not run on the exact day (30 left): 28 days left still sends the 30-day reminder, once
    day = freeze(TODAY + dt.timedelta(days=32))
    run_reminders(day)
    db.session.commit()
    assert stages_of(world.m60) == ["30", "60"]
    assert run_reminders(day)["reminders"] == 0
    # the deadline day itself sends the 7-day reminder (0 days left)
    day = freeze(world.m60.deadline)
    run_reminders(day)
    db.session.commit()
    assert stages_of(world.m60) == ["30", "60", "7"]
    (n7,) = notes(key=reminder_key(world.m60.id, "7"))
    assert "Hôm nay là hạn cuối" in n7.title
    # after the deadline: overdue, no more reminders (the officer's digest takes over)
    day = freeze(world.m60.deadline + dt.timedelta(days=1))
    run_reminders(day)
    db.session.commit()
    assert stages_of(world.m60) == ["30", "60", "7"]
    # this week's digest went out on the deadline day (not overdue yet); next week's lists them
    assert "Nguyễn Thị Sáu Mươi" not in notes(key=digest_key(world.officer_c1.id, day))[0].body
    day = freeze(world.m60.deadline + dt.timedelta(days=7))
    run_reminders(day)
    db.session.commit()
    assert stages_of(world.m60) == ["30", "60", "7"]
    assert "Nguyễn Thị Sáu Mươi" in notes(key=digest_key(world.officer_c1.id, day))[0].body


def test_a_certificate_stops_the_reminders(db, freeze, world, make_certificate):
    make_certificate(world.m7.person, issued_on=TODAY - dt.timedelta(days=1))
    db.session.commit()
    run_reminders(TODAY)
    assert not notes(person_id=world.m7.person_id)


def test_weekly_digest_once_per_iso_week(db, freeze, world):
    run_reminders(TODAY)
    db.session.commit()
    for offset in (1, 6):  # Tuesday and Sunday of the same ISO week
        day = freeze(TODAY + dt.timedelta(days=offset))
        assert run_reminders(day)["digests"] == 0
        db.session.commit()
    day = freeze(TODAY + dt.timedelta(days=7))  # next Monday: week 24
    assert run_reminders(day)["digests"] == 1
    db.session.commit()
    keys = sorted(n.key for n in notes(kind=reminders.DIGEST_KIND))
    assert keys == [f"digest:{world.officer_c1.id}:2026-W23", f"digest:{world.officer_c1.id}:2026-W24"]


def test_disabled_officer_gets_no_digest(db, world):
    world.officer_c1.is_active = False
    db.session.commit()
    assert run_reminders(TODAY)["digests"] == 0


# --------------------------------------------------------------------------- mail


class FakeSMTP:
    instances: list[FakeSMTP] = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.calls: list = []
        self.sent: list = []
        FakeSMTP.instances.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.calls.append("quit")
        return False

    def starttls(self, context=None):
        self.calls.append("starttls")

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, msg):
        self.calls.append("send")
        self.sent.append(msg)


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.instances = []
    monkeypatch.setattr("lms.core.mail.smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.vn")
    monkeypatch.setitem(app.config, "SMTP_PORT", 587)
    monkeypatch.setitem(app.config, "SMTP_USER", "lms")
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "bi-mat")
    monkeypatch.setitem(app.config, "SMTP_FROM", "lms@sotuphap.example.vn")
    return FakeSMTP


def test_without_smtp_the_message_is_logged(app, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    caplog.set_level(logging.INFO, logger="lms.mail")
    assert send_mail("hgv@example.vn", "Nhắc hạn bồi dưỡng", "Còn 7 ngày đến hạn.") == "log"
    records = [r for r in caplog.records if r.name == "lms.mail"]
    assert records and "hgv@example.vn" in records[0].getMessage() and "Nhắc hạn bồi dưỡng" in records[0].getMessage()
    assert "Còn 7 ngày đến hạn." in caplog.text


def test_with_smtp_the_message_goes_through_smtplib(app, smtp):
    assert send_mail("hgv@example.vn", "Nhắc hạn bồi dưỡng", "Còn 7 ngày đến hạn.") == "email"
    (server,) = smtp.instances
    assert (server.host, server.port) == ("smtp.example.vn", 587)
    assert server.calls == ["starttls", ("login", "lms", "bi-mat"), "send", "quit"]
    msg = server.sent[0]
    assert msg["To"] == "hgv@example.vn" and msg["From"] == "lms@sotuphap.example.vn"
    assert msg["Subject"] == "Nhắc hạn bồi dưỡng"
    assert "Còn 7 ngày đến hạn." in msg.get_content()


def test_smtp_without_starttls_on_port_25(app, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_PORT", 25)
    monkeypatch.setitem(app.config, "SMTP_USER", None)
    assert send_mail("a@example.vn", "Tiêu đề", "Nội dung") == "email"
    assert smtp.instances[0].calls == ["send", "quit"]


def test_smtp_failure_falls_back_to_the_log(app, smtp, monkeypatch, caplog):
    def refuse(self, msg):
        raise OSError("connection refused")

    monkeypatch.setattr(FakeSMTP, "send_message", refuse)
    caplog.set_level(logging.INFO, logger="lms.mail")
    assert send_mail("a@example.vn", "Tiêu đề", "Nội dung") == "log"
    assert "connection refused" in caplog.text and "Nội dung" in caplog.text


def test_reminders_are_emailed_when_smtp_is_configured(app, db, world, smtp):
    summary = run_reminders(TODAY)
    db.session.commit()
    assert summary["emailed"] == 1
    (n30,) = notes(key=reminder_key(world.m30.id, "30"))
    assert n30.delivery == "email" and n30.emailed_at is not None
    (msg,) = [m for s in smtp.instances for m in s.sent]
    assert msg["To"] == "bamuoi@example.vn"
    assert "Còn 30 ngày" in msg["Subject"]
    assert app.config["PUBLIC_URL"].rstrip("/") + "/learn/p/hgv" in msg.get_content()


# --------------------------------------------------------------------------- CLI and job


def test_cli_runs_inline_and_is_idempotent(db, world, runner):
    result = runner.invoke(args=["lms", "remind", "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "reminders sent 3" in result.output and "weekly digests 1" in result.output
    assert count_notes() == 4
    again = runner.invoke(args=["lms", "remind", "--date", TODAY.isoformat()])
    assert again.exit_code == 0 and "reminders sent 0" in again.output and "weekly digests 0" in again.output
    assert count_notes() == 4


def test_cli_defaults_to_today_and_refuses_a_bad_date(db, world, runner):
    result = runner.invoke(args=["lms", "remind"])
    assert result.exit_code == 0 and TODAY.isoformat() in result.output
    bad = runner.invoke(args=["lms", "remind", "--date", "01/06/2026"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_cli_enqueues_a_job_when_redis_is_configured(app, db, world, runner, monkeypatch):
    started = []

    def fake_start(kind, params, user_id=None):
        started.append((kind, params))
        return SimpleNamespace(id=42)

    monkeypatch.setitem(app.config, "REDIS_URL", "redis://localhost:6379/0")
    monkeypatch.setattr(jobs, "start", fake_start)
    result = runner.invoke(args=["lms", "remind", "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert started == [("reminders", {"date": "2026-06-01"})]
    assert "job 42" in result.output
    assert count_notes() == 0  # nothing sent by the command itself


def test_the_job_sends_and_records_its_summary(db, world):
    row = jobs.start("reminders", {"date": TODAY.isoformat()})  # no REDIS_URL in tests: runs inline
    row = db.session.get(Job, row.id)
    assert row.status == "done", row.error
    assert row.params["summary"]["reminders"] == 3 and row.params["summary"]["digests"] == 1
    assert count_notes() == 4


def test_cli_job_runs_in_an_rq_worker(app, db, world, runner, monkeypatch):
    import os

    from tests.conftest import need

    url = os.environ.get("LMS_TEST_REDIS_URL")
    need(bool(url), "LMS_TEST_REDIS_URL is not set (Redis tests)")
    from redis import Redis
    from rq import Queue, SimpleWorker

    import lms

    conn = Redis.from_url(url)
    Queue("lms", connection=conn).empty()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setattr(lms, "create_app", lambda *a, **k: app)  # the worker builds the same (test) app
    result = runner.invoke(args=["lms", "remind", "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    job = db.session.scalar(select(Job))
    assert f"job {job.id}" in result.output and job.status == "queued"
    assert count_notes() == 0
    SimpleWorker([Queue("lms", connection=conn)], connection=conn).work(burst=True)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "done", job.error
    assert job.params["summary"]["reminders"] == 3
    assert count_notes() == 4
