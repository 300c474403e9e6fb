"""Online learning: enrollment in programs, lessons opened, quizzes, access to materials, progress and completion."""
