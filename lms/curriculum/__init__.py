"""Programs, modules, lessons, quizzes; the only reader of ``course_content/``."""
