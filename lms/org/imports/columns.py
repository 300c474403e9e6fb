"""The columns of each org import kind: key, the header printed on the template, whether it is required,
the other spellings accepted for the header, and the template's example value."""

from __future__ import annotations

from ...core.spreadsheet import Column

# columns shared by several kinds
_NAME = Column("name", "Họ và tên", True, ("Họ tên", "Họ và tên hòa giải viên"), "Nguyễn Thị Lan")
_GENDER = Column("gender", "Giới tính", False, ("Nam / Nữ", "Phái"), "Nữ")
_BIRTH = Column("birth", "Năm sinh", False, ("Ngày sinh", "Ngày tháng năm sinh", "Năm sinh / ngày sinh"), 1975)
_PHONE = Column("phone", "Số điện thoại", False, ("Điện thoại", "SĐT", "Số ĐT", "Di động", "Điện thoại di động"), "0912345678")
_VILLAGE = Column("village", "Mã thôn", True, ("Mã thôn / tổ dân phố", "Mã ấp", "Mã tổ dân phố", "Mã thôn ấp"), "31117-01")
_TEAM = Column("team", "Tổ hòa giải", False, ("Tên tổ hòa giải", "Tổ HGCS"), None)
_BACKGROUND = Column("background", "Nguồn", False, ("Nguồn tập huấn viên", "Thành phần", "Lĩnh vực"), "Luật gia")

UNIT_COLUMNS = [
    Column("code", "Mã", True, ("Mã đơn vị", "Mã ĐVHC", "Mã số"), "31117-01"),
    Column("name", "Tên", True, ("Tên đơn vị",), "Khu vực 1"),
    Column("kind", "Cấp", True, ("Cấp đơn vị", "Loại đơn vị"), "thôn"),
    Column("parent", "Mã cấp trên", True, ("Mã đơn vị cấp trên", "Mã đơn vị trực thuộc"), "31117"),
    Column("is_pilot", "Điểm chỉ đạo", False, ("Xã điểm", "Điểm chỉ đạo thí điểm"), None),
    Column("minority", "Vùng đồng bào DTTS", False, ("Vùng đồng bào dân tộc thiểu số", "Vùng DTTS", "Địa bàn DTTS", "DTTS"), None),
    Column("model_year", "Năm đạt xã điển hình", False, ("Xã điển hình", "Năm công nhận xã điển hình"), None),
    Column("valid_from", "Hiệu lực từ", False, ("Hiệu lực từ ngày", "Ngày hiệu lực"), None),
    Column("valid_to", "Hiệu lực đến", False, ("Hiệu lực đến ngày", "Ngày hết hiệu lực"), None),
    Column("successor", "Mã đơn vị kế thừa", False, ("Mã kế thừa", "Đơn vị kế thừa"), None),
]

MEDIATOR_COLUMNS = [
    _NAME,
    _GENDER,
    _BIRTH,
    Column("ethnicity", "Dân tộc", False, (), "Kinh"),
    _PHONE,
    _VILLAGE,
    _TEAM,
    Column("decision_no", "Số quyết định công nhận", False, ("Số quyết định", "Số QĐ công nhận", "Số QĐ"), "12/QĐ-UBND"),
    Column("recognized_on", "Ngày công nhận", True, ("Ngày quyết định công nhận", "Ngày QĐ công nhận"), "15/01/2025"),
    Column("leader", "Tổ trưởng", False, ("Là tổ trưởng",), "x"),
    Column("left_on", "Ngày thôi", False, ("Ngày thôi làm hòa giải viên", "Ngày thôi làm HGV"), None),
    Column("leave_reason", "Lý do thôi", False, ("Lý do",), None),
]

TRAINER_COLUMNS = [
    _NAME,
    _GENDER,
    _BIRTH,
    _PHONE,
    Column("level", "Cấp", True, ("Cấp tập huấn viên",), "tỉnh"),
    Column("unit", "Mã đơn vị", True, ("Mã tỉnh / huyện", "Mã đơn vị công tác"), "92"),
    _BACKGROUND,
    Column("started_on", "Ngày bắt đầu", True, ("Từ ngày", "Ngày quyết định"), "01/03/2025"),
    Column("ended_on", "Ngày kết thúc", False, ("Đến ngày",), None),
]

CASE_COLUMNS = [
    _VILLAGE,
    _TEAM,
    Column("year", "Năm", True, ("Năm thống kê", "Năm báo cáo"), 2025),
    Column("quarter", "Quý", True, ("Quý thống kê", "Quý báo cáo"), 1),
    Column("received", "Tiếp nhận", True, ("Số vụ tiếp nhận", "Số vụ việc tiếp nhận", "Tổng số vụ việc", "Tổng số vụ"), 5),
    Column("successful", "Thành", True, ("Hòa giải thành", "Số vụ hòa giải thành", "Số vụ thành"), 3),
    Column("unsuccessful", "Không thành", True, ("Hòa giải không thành", "Số vụ hòa giải không thành", "Số vụ không thành"), 1),
    Column("open", "Đang giải quyết", True, ("Đang hòa giải", "Chưa giải quyết xong", "Số vụ đang giải quyết"), 1),
]

SUPPORTER_COLUMNS = [
    _NAME,
    _BACKGROUND,
    _VILLAGE,
    _TEAM,
    Column("from_on", "Từ ngày", True, ("Ngày bắt đầu",), "01/03/2025"),
    Column("to_on", "Đến ngày", False, ("Ngày kết thúc",), None),
]
