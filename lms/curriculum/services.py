"""Reading ``course_content/``: validate everything, then import in one transaction.

The format is documented in ``course_content/README.md``. Markdown is rendered
(markdown-it-py) and sanitized (nh3) once, here, not on every request.
A program whose files are unchanged is left alone; a changed one becomes a new
version (the old version and anything that points at it stay as they are).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nh3
import yaml
from markdown_it import MarkdownIt
from sqlalchemy import func, select

from ..core import cache
from ..core.text import nfc
from ..extensions import db
from .models import Attachment, Audience, Lesson, Module, Program, Question, Quiz

NAME_RE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
AUDIENCES = {a.value for a in Audience}
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul", "dl", "dt", "dd", "s",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}, "ol": {"start"}}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_markdown(text: str) -> str:
    """Markdown → HTML with only safe tags, attributes and URL schemes (no scripts, no ``javascript:``)."""
    html = _md.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# --------------------------------------------------------------------------- errors


@dataclass
class ContentError:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class ContentInvalid(Exception):
    def __init__(self, errors: list[ContentError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


# --------------------------------------------------------------------------- YAML with line numbers


class _Mapping(dict):
    """A dict that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    out = _Mapping()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class _Reader:
    root: Path
    errors: list[ContentError] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def error(self, path: Path, line: int | None, message: str) -> None:
        self.errors.append(ContentError(self.rel(path), line, message))

    def yaml_text(self, path: Path, text: str, line_offset: int = 0) -> Any:
        try:
            return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 + line_offset if mark is not None else None
            self.error(path, line, f"YAML không hợp lệ: {getattr(exc, 'problem', None) or exc}")
            return None

    def yaml_file(self, path: Path) -> Any:
        if not path.is_file():
            self.error(path, None, "thiếu tệp")
            return None
        return self.yaml_text(path, path.read_text(encoding="utf-8"))

    def mapping(self, path: Path, data: Any, required: dict[str, type | tuple[type, ...]]) -> _Mapping | None:
        if not isinstance(data, _Mapping):
            self.error(path, 1, "phải là một bảng khóa: giá trị (mapping)")
            return None
        ok = True
        for key, types in required.items():
            if key not in data or data[key] in (None, ""):
                self.error(path, data.line, f"thiếu trường bắt buộc «{key}»")
                ok = False
            elif not isinstance(data[key], types) or (isinstance(data[key], bool) and bool not in _as_tuple(types)):
                self.error(path, data.key_lines.get(key, data.line), f"trường «{key}» sai kiểu")
                ok = False
        return data if ok else None


def _as_tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _text(value: Any) -> str:
    return nfc(str(value)) or "" if value is not None else ""


# --------------------------------------------------------------------------- specs (validated, not yet in the DB)


@dataclass
class QuizSpec:
    title: str
    pass_score: int
    questions: list[dict[str, Any]]
    content_hash: str


@dataclass
class LessonSpec:
    slug: str
    title: str
    minutes: int
    body_html: str
    content_hash: str


@dataclass
class ModuleSpec:
    slug: str
    position: int
    title: str
    hours: float
    summary: str
    is_final: bool
    lessons: list[LessonSpec]
    quiz: QuizSpec | None
    attachments: list[tuple[str, bytes]]


@dataclass
class ProgramSpec:
    code: str
    version: int
    title: str
    audience: str
    hours: float
    description: str
    notice: str
    completion: dict[str, Any]
    modules: list[ModuleSpec]
    content_hash: str


def _hash_dir(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _split_front_matter(reader: _Reader, path: Path, text: str) -> tuple[Any, str] | None:
    if not text.startswith("---"):
        reader.error(path, 1, "thiếu phần đầu YAML (front matter) giữa hai dòng ---")
        return None
    lines = text.splitlines(keepends=True)
    for idx in range(1, len(lines)):
        if lines[idx].strip() == "---":
            # a leading newline stands for the opening ---, so YAML line numbers are the file's
            meta = reader.yaml_text(path, "\n" + "".join(lines[1:idx]))
            return meta, "".join(lines[idx + 1 :])
    reader.error(path, 1, "phần đầu YAML không có dòng --- kết thúc")
    return None


def _read_quiz(reader: _Reader, path: Path) -> QuizSpec | None:
    data = reader.mapping(path, reader.yaml_file(path), {"title": str, "questions": list})
    if data is None:
        return None
    pass_score = data.get("pass_score", 70)
    if not isinstance(pass_score, int) or not 0 < pass_score <= 100:
        reader.error(path, data.key_lines.get("pass_score", data.line), "«pass_score» phải là số nguyên từ 1 đến 100")
        return None
    questions = []
    for q in data["questions"]:
        q = reader.mapping(path, q, {"text": str, "choices": list, "correct": list})
        if q is None:
            continue
        line = q.line
        choices = [_text(c) for c in q["choices"]]
        correct = q["correct"]
        if len(choices) < 2:
            reader.error(path, line, "câu hỏi cần ít nhất 2 phương án")
            continue
        if not correct or not all(isinstance(i, int) and not isinstance(i, bool) for i in correct):
            reader.error(path, q.key_lines.get("correct", line), "«correct» phải là danh sách chỉ số (0, 1, …)")
            continue
        if any(i < 0 or i >= len(choices) for i in correct):
            reader.error(path, q.key_lines.get("correct", line), f"đáp án {correct} không nằm trong các phương án (0…{len(choices) - 1})")
            continue
        if len(set(correct)) != len(correct):
            reader.error(path, q.key_lines.get("correct", line), "đáp án bị lặp")
            continue
        questions.append({"text": _text(q["text"]), "choices": choices, "correct": sorted(correct), "explanation": _text(q.get("explanation"))})
    if not questions:
        reader.error(path, data.line, "bài kiểm tra không có câu hỏi hợp lệ")
        return None
    return QuizSpec(_text(data["title"]), pass_score, questions, hashlib.sha256(path.read_bytes()).hexdigest())


def read_program(directory: Path, root: Path | None = None) -> tuple[ProgramSpec | None, list[ContentError]]:
    """Read and validate one program directory; nothing touches the database."""
    reader = _Reader(root or directory.parent)
    pfile = directory / "program.yaml"
    data = reader.mapping(
        pfile, reader.yaml_file(pfile), {"code": str, "title": str, "audience": str, "version": int, "hours": (int, float)}
    )
    if data is None:
        return None, reader.errors
    if data["code"] != directory.name:
        reader.error(pfile, data.key_lines["code"], f"«code» ({data['code']}) phải trùng tên thư mục ({directory.name})")
    if data["audience"] not in AUDIENCES:
        reader.error(pfile, data.key_lines["audience"], f"«audience» phải là một trong {sorted(AUDIENCES)}")
    completion = data.get("completion") or {"lessons": "all", "quiz_min_score": 70, "final_quiz": True}
    if not isinstance(completion, dict) or completion.get("lessons", "all") != "all":
        reader.error(pfile, data.key_lines.get("completion", data.line), "«completion.lessons» chỉ nhận giá trị all")
    completion = dict(completion) if isinstance(completion, dict) else {}
    min_score = completion.get("quiz_min_score", 70)
    if not isinstance(min_score, int) or not 0 <= min_score <= 100:
        reader.error(pfile, data.key_lines.get("completion", data.line), "«quiz_min_score» phải là số nguyên từ 0 đến 100")

    modules: list[ModuleSpec] = []
    slugs: dict[str, Path] = {}
    filenames: dict[str, Path] = {}
    lesson_count = 0
    for mdir in sorted(p for p in directory.iterdir() if p.is_dir()):
        m = NAME_RE.match(mdir.name)
        if not m:
            reader.error(mdir, None, "tên thư mục mô-đun phải có dạng nn-ten-khong-dau")
            continue
        mfile = mdir / "module.yaml"
        mdata = reader.mapping(mfile, reader.yaml_file(mfile), {"title": str, "order": int})
        position, mslug = int(m.group(1)), m.group(2)
        if mdata is not None and mdata["order"] != position:
            reader.error(mfile, mdata.key_lines["order"], f"«order» ({mdata['order']}) phải trùng số đầu tên thư mục ({position:02d})")
        if mslug in slugs:
            reader.error(mdir, None, f"slug «{mslug}» bị trùng với {reader.rel(slugs[mslug])}")
        slugs[mslug] = mdir
        lessons: list[LessonSpec] = []
        for lfile in sorted(mdir.glob("*.md")):
            lm = NAME_RE.match(lfile.stem)
            if not lm:
                reader.error(lfile, None, "tên tệp bài học phải có dạng nn-ten-khong-dau.md")
                continue
            lslug = lm.group(2)
            if lslug in slugs:
                reader.error(lfile, 1, f"slug «{lslug}» bị trùng với {reader.rel(slugs[lslug])}")
                continue
            slugs[lslug] = lfile
            raw = lfile.read_bytes()
            split = _split_front_matter(reader, lfile, raw.decode("utf-8"))
            if split is None:
                continue
            meta, body = split
            meta = reader.mapping(lfile, meta, {"title": str, "minutes": int})
            if meta is None:
                continue
            lessons.append(
                LessonSpec(lslug, _text(meta["title"]), meta["minutes"], render_markdown(unicodedata.normalize("NFC", body)), hashlib.sha256(raw).hexdigest())
            )
        lesson_count += len(lessons)
        quiz = _read_quiz(reader, mdir / "quiz.yaml") if (mdir / "quiz.yaml").exists() else None
        attachments = []
        fdir = mdir / "files"
        if fdir.is_dir():
            for f in sorted(p for p in fdir.iterdir() if p.is_file()):
                if f.name in filenames:
                    reader.error(f, None, f"tên tệp đính kèm bị trùng với {reader.rel(filenames[f.name])}")
                filenames[f.name] = f
                attachments.append((f.name, f.read_bytes()))
        if mdata is None:
            continue
        is_final = bool(mdata.get("final", False))
        if is_final and quiz is None:
            reader.error(mfile, mdata.line, "mô-đun kiểm tra cuối khóa phải có quiz.yaml")
        modules.append(
            ModuleSpec(mslug, position, _text(mdata["title"]), float(mdata.get("hours") or 0), _text(mdata.get("summary")), is_final, lessons, quiz, attachments)
        )
    if completion.get("final_quiz", True) and not any(m.is_final for m in modules):
        reader.error(pfile, data.line, "«final_quiz: true» nhưng không có mô-đun kiểm tra cuối khóa (final: true)")
    if lesson_count == 0:
        reader.error(pfile, data.line, "chương trình không có bài học nào")
    if reader.errors:
        return None, reader.errors
    spec = ProgramSpec(
        code=data["code"],
        version=data["version"],
        title=_text(data["title"]),
        audience=data["audience"],
        hours=float(data["hours"]),
        description=_text(data.get("description")),
        notice=_text(data.get("notice")),
        completion={"lessons": "all", "quiz_min_score": int(min_score), "final_quiz": bool(completion.get("final_quiz", True))},
        modules=modules,
        content_hash=_hash_dir(directory),
    )
    return spec, []


def read_content(root: Path) -> list[ProgramSpec]:
    """Read and validate every program under ``root``; raise :class:`ContentInvalid` with every error."""
    root = Path(root)
    if not root.is_dir():
        raise ContentInvalid([ContentError(str(root), None, "không tìm thấy thư mục nội dung")])
    specs, errors = [], []
    for directory in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        spec, errs = read_program(directory, root)
        errors.extend(errs)
        if spec is not None:
            specs.append(spec)
    if errors:
        raise ContentInvalid(errors)
    return specs


# --------------------------------------------------------------------------- import


@dataclass
class ImportReport:
    created: list[Program] = field(default_factory=list)
    unchanged: list[Program] = field(default_factory=list)


def current_program(code: str) -> Program | None:
    return db.session.scalar(select(Program).where(Program.code == code, Program.is_current.is_(True)))


# --------------------------------------------------------------------------- a program version's outline (read-only, memoized)


@dataclass(frozen=True)
class LessonItem:
    id: int
    slug: str
    title: str
    minutes: int
    module_id: int
    body_html: str


@dataclass(frozen=True)
class ModuleItem:
    id: int
    title: str
    is_final: bool
    quiz_id: int | None
    attachments: tuple[str, ...]


@dataclass(frozen=True)
class Outline:
    """What the lesson pages show of a program version: lessons in order (with their rendered bodies), modules,
    the final quiz. A version never changes once imported (a changed file makes a new version), so the outline is
    kept per process under the version's id and content hash."""

    lessons: tuple[LessonItem, ...]
    modules: dict[int, ModuleItem]
    final_quiz_id: int | None
    final_quiz_hash: str | None

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(lesson.slug for lesson in self.lessons)

    def position(self, slug: str) -> int | None:
        return next((i for i, lesson in enumerate(self.lessons) if lesson.slug == slug), None)


def outline(program: Program) -> Outline:
    return cache.memo(("curriculum-outline", program.id, program.content_hash), lambda: _load_outline(program.id))


def _load_outline(program_id: int) -> Outline:
    lessons = tuple(
        LessonItem(*row)
        for row in db.session.execute(
            select(Lesson.id, Lesson.slug, Lesson.title, Lesson.minutes, Lesson.module_id, Lesson.body_html)
            .where(Lesson.program_id == program_id).order_by(Lesson.position)
        )
    )
    files: dict[int, list[str]] = {}
    for module_id, filename in db.session.execute(
        select(Attachment.module_id, Attachment.filename).join(Module, Attachment.module_id == Module.id)
        .where(Module.program_id == program_id).order_by(Attachment.filename)
    ):
        files.setdefault(module_id, []).append(filename)
    modules, final = {}, (None, None)
    for mid, title, is_final, quiz_id, quiz_hash in db.session.execute(
        select(Module.id, Module.title, Module.is_final, Quiz.id, Quiz.content_hash)
        .outerjoin(Quiz, Quiz.module_id == Module.id).where(Module.program_id == program_id).order_by(Module.position)
    ):
        modules[mid] = ModuleItem(mid, title, is_final, quiz_id, tuple(files.get(mid, ())))
        if is_final and final == (None, None):
            final = (quiz_id, quiz_hash)
    return Outline(lessons, modules, *final)


def import_content(root: Path) -> ImportReport:
    """Validate everything first, then add a new version of each changed program. Flushes, never commits."""
    specs = read_content(root)
    report = ImportReport()
    for spec in specs:
        current = current_program(spec.code)
        if current is not None and current.content_hash == spec.content_hash:
            report.unchanged.append(current)
            continue
        report.created.append(_add_version(spec, current))
    db.session.flush()
    return report


def _add_version(spec: ProgramSpec, current: Program | None) -> Program:
    latest = db.session.scalar(select(func.max(Program.version)).where(Program.code == spec.code)) or 0
    version = spec.version if spec.version > latest else latest + 1
    if current is not None:
        current.is_current = False
    program = Program(
        code=spec.code, version=version, title=spec.title, audience=spec.audience, hours=spec.hours, description=spec.description,
        notice=spec.notice, completion=spec.completion, content_hash=spec.content_hash, is_current=True,
    )
    db.session.add(program)
    position = 0
    for ms in spec.modules:
        module = Module(program=program, slug=ms.slug, position=ms.position, title=ms.title, hours=ms.hours, summary=ms.summary, is_final=ms.is_final)
        for ls in ms.lessons:
            position += 1
            module.lessons.append(
                Lesson(program=program, slug=ls.slug, position=position, title=ls.title, minutes=ls.minutes, body_html=ls.body_html, content_hash=ls.content_hash)
            )
        if ms.quiz is not None:
            quiz = Quiz(title=ms.quiz.title, pass_score=ms.quiz.pass_score, content_hash=ms.quiz.content_hash)
            quiz.questions = [Question(position=i, **q) for i, q in enumerate(ms.quiz.questions, start=1)]
            module.quiz = quiz
        for name, data in ms.attachments:
            ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            module.attachments.append(Attachment(filename=name, content_type=ctype, size=len(data), data=data))
        program.modules.append(module)
    return program
