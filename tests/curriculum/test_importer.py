"""The curriculum importer: validate everything first (file and line), import in one transaction,
idempotent, a changed program becomes a new version, Markdown sanitized at import."""

from __future__ import annotations

import pathlib

import pytest
from sqlalchemy import func, select

from lms.curriculum.models import Lesson, Program, Question
from lms.curriculum.services import ContentInvalid, current_program, import_content, read_content, render_markdown
from lms.learning import services as training
from lms.learning.models import Enrollment, LessonView
from tests.fixtures.curriculum import write_program

SHIPPED = pathlib.Path(__file__).resolve().parents[2] / "course_content"


def _counts(db):
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in (Program, Lesson, Question)}


def _errors(root) -> list:
    with pytest.raises(ContentInvalid) as info:
        import_content(root)
    return info.value.errors


@pytest.fixture
def content(tmp_path):
    return write_program(tmp_path / "content")


def test_the_shipped_curriculum_is_valid():
    specs = {s.code: s for s in read_content(SHIPPED)}
    assert set(specs) >= {"hgv", "thv", "qlnn"}
    assert len([m for m in specs["hgv"].modules if not m.is_final]) >= 8
    assert len([m for m in specs["thv"].modules if not m.is_final]) >= 3
    assert len([m for m in specs["qlnn"].modules if not m.is_final]) >= 2
    for spec in specs.values():
        assert any(m.is_final and m.quiz for m in spec.modules)
        for m in spec.modules:
            if not m.is_final:
                assert 2 <= len(m.lessons) <= 4 and m.quiz is not None and len(m.quiz.questions) >= 8


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (lambda d: (d / "hgv/program.yaml").write_text("code: hgv\ntitle: [unclosed\n", encoding="utf-8"),
         "hgv/program.yaml:3", "YAML không hợp lệ"),
        (lambda d: (d / "hgv/02-ky-nang/module.yaml").write_text("order: 2\nhours: 1\n", encoding="utf-8"),
         "hgv/02-ky-nang/module.yaml:1", "thiếu trường bắt buộc «title»"),
        (lambda d: _replace(d / "hgv/01-kien-thuc-chung/quiz.yaml", "correct: [1]", "correct: [7]"),
         "hgv/01-kien-thuc-chung/quiz.yaml:9", "không nằm trong các phương án"),
        (lambda d: (d / "hgv/02-ky-nang/03-khai-niem.md").write_text("---\ntitle: Trùng\nminutes: 5\n---\nNội dung", encoding="utf-8"),
         "hgv/02-ky-nang/03-khai-niem.md:1", "slug «khai-niem» bị trùng"),
        (lambda d: (d / "hgv/02-ky-nang/01-lang-nghe.md").write_text("---\ntitle: Lắng nghe\n---\nNội dung", encoding="utf-8"),
         "hgv/02-ky-nang/01-lang-nghe.md:2", "thiếu trường bắt buộc «minutes»"),
    ],
    ids=["bad-yaml", "missing-field", "answer-not-a-choice", "duplicate-slug", "lesson-missing-field"],
)
def test_malformed_content_is_rejected_with_file_and_line_and_changes_nothing(db, content, edit, where, message):
    import_content(content)
    db.session.commit()
    before = _counts(db)
    _replace(content / "hgv/02-ky-nang/02-thuyet-phuc.md", "minutes: 10", "minutes: 12")  # a valid change too
    edit(content)
    errors = _errors(content)
    text = [str(e) for e in errors]
    assert any(f"/{where}:" in f"/{t}" and message in t for t in text), text
    db.session.rollback()
    assert _counts(db) == before
    assert current_program("hgv").version == 1


def _replace(path, old, new):
    data = path.read_text(encoding="utf-8")
    assert old in data
    path.write_text(data.replace(old, new, 1), encoding="utf-8")


def test_every_error_is_reported_not_just_the_first(db, content):
    _replace(content / "hgv/01-kien-thuc-chung/quiz.yaml", "correct: [1]", "correct: [9]")
    (content / "hgv/02-ky-nang/module.yaml").write_text("order: 2\n", encoding="utf-8")
    assert len(_errors(content)) >= 2


def test_import_twice_gives_an_identical_database(db, content):
    first = import_content(content)
    assert [p.code for p in first.created] == ["hgv"]
    snapshot = _counts(db), [(lsn.id, lsn.slug, lsn.body_html) for lsn in db.session.scalars(select(Lesson).order_by(Lesson.id))]
    second = import_content(content)
    assert second.created == [] and [p.code for p in second.unchanged] == ["hgv"]
    assert (_counts(db), [(lsn.id, lsn.slug, lsn.body_html) for lsn in db.session.scalars(select(Lesson).order_by(Lesson.id))]) == snapshot


def test_a_changed_lesson_makes_a_new_version_and_progress_carries_over(db, content, tree, make_mediator):
    import_content(content)
    v1 = current_program("hgv")
    person = make_mediator(tree.T1).person
    opened = v1.lessons[0]
    training.open_lesson(person, opened)
    _replace(content / "hgv/02-ky-nang/01-lang-nghe.md", "minutes: 10", "minutes: 15")
    report = import_content(content)
    v2 = current_program("hgv")
    assert report.created == [v2] and v2.version == 2 and not v1.is_current and v1.id != v2.id
    # the lesson opened in version 1 counts as opened in version 2 (same slug)
    progress = training.progress(person, v2)
    assert opened.slug in progress.opened and progress.opened_count == 1
    assert db.session.scalar(select(func.count(LessonView.id))) == 1
    assert db.session.scalar(select(Enrollment.program_code).where(Enrollment.person_id == person.id)) == "hgv"


def test_a_completion_of_the_old_version_stays_valid(db, content, tree, make_mediator):
    from tests.fixtures.curriculum import right_answers

    import_content(content)
    v1 = current_program("hgv")
    person = make_mediator(tree.T1).person
    for lesson in v1.lessons:
        training.open_lesson(person, lesson)
    final = v1.final_module.quiz
    training.submit_quiz(person, final, right_answers(final))
    enrollment = training.enrollment_for(person, "hgv")
    assert enrollment.status == "completed" and enrollment.completed_program_id == v1.id
    _replace(content / "hgv/02-ky-nang/01-lang-nghe.md", "minutes: 10", "minutes: 15")
    import_content(content)
    db.session.expire_all()
    enrollment = training.enrollment_for(person, "hgv")
    assert enrollment.status == "completed" and enrollment.completed_program_id == v1.id


def test_scripts_and_javascript_links_are_removed():
    html = render_markdown(
        "# Tiêu đề\n\n<script>alert('x')</script>\n\n[bấm vào](javascript:alert(1)) và [luật](https://thuvienphapluat.vn)\n\n"
        "<img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert "<script" not in html
    assert "<img" not in html  # raw HTML is shown as text, never as a tag
    assert 'href="javascript' not in html  # the link is not made; the text stays as text
    assert 'href="https://thuvienphapluat.vn"' in html and "<table>" in html


def test_lesson_html_is_rendered_once_at_import_and_sanitized(db, content):
    _replace(content / "hgv/02-ky-nang/01-lang-nghe.md", "---\n\n", "---\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n")
    import_content(content)
    body = db.session.scalar(select(Lesson.body_html).where(Lesson.slug == "lang-nghe"))
    assert "<script" not in body and "&lt;script&gt;" in body  # shown as text, never run
    assert 'href="javascript' not in body
