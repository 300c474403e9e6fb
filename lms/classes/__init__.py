"""Classes (lớp tập huấn / bồi dưỡng): in person, online or blended; sessions, enrollment, attendance, results, closing."""
