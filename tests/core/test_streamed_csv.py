"""The one streamed CSV writer (core.spreadsheet.csv_chunks): rows are pulled as the file is sent, not all first."""

from __future__ import annotations

import csv
import io

from lms.core.spreadsheet import csv_chunks


def test_csv_is_written_as_rows_arrive():
    pulled = []

    def rows():
        for i in range(5000):
            pulled.append(i)
            yield [i, f"Nguyễn Văn {i}", None]

    chunks = csv_chunks(["Số", "Họ và tên", "Ghi chú"], rows(), chunk=4096)
    first = next(chunks)
    assert first.startswith("\ufeffSố,Họ và tên,Ghi chú\r\n")
    assert len(pulled) < 300, "the first chunk waited for every row"
    text = first + "".join(chunks)
    assert len(pulled) == 5000
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed[0] == ["Số", "Họ và tên", "Ghi chú"]
    assert parsed[1] == ["0", "Nguyễn Văn 0", ""]
    assert parsed[-1] == ["4999", "Nguyễn Văn 4999", ""]
    assert len(parsed) == 5001


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted():
    rows = [["=1+1", "+84 912 345 678", "-2+3", "@SUM(A1)", "\tx", "Nguyễn Văn A", -5, 12.5, None, "a=b"]]
    text = "".join(csv_chunks(["=Tiêu đề", "Họ tên"], rows))
    got = list(csv.reader(io.StringIO(text[1:])))
    assert got[0] == ["'=Tiêu đề", "Họ tên"]
    assert got[1] == ["'=1+1", "'+84 912 345 678", "'-2+3", "'@SUM(A1)", "'\tx", "Nguyễn Văn A", "-5", "12.5", "", "a=b"]
