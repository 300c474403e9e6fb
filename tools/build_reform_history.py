"""Build ``lms/org/data/reform_2025_can_tho.csv``: the old units of Cần Thơ, Hậu Giang and Sóc Trăng (provinces,
districts, communes with the state's codes, valid until 30 June 2025) and the commune each went to on 1 July 2025.

Not run by the application: the CSV it writes is shipped. Run it again only to rebuild the file, in a throw-away
virtualenv with the MIT-licensed ``vietnamadminunits==1.0.4`` (its legacy list and 2025 conversion tables) and the
project's pinned ``vietnam-provinces``:

    python -m venv /tmp/vau && /tmp/vau/bin/pip install vietnamadminunits==1.0.4 vietnam-provinces==2025.10.1
    /tmp/vau/bin/python tools/build_reform_history.py

A commune split among several new communes goes, as a whole, to the one the conversion table marks as the default;
the others are listed in the ``Ghi chú`` column, so the province can pass each village to the commune it went to.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import vietnam_provinces
import vietnamadminunits

OLD_PROVINCES = {"92": "thanhphocantho", "93": "tinhhaugiang", "94": "tinhsoctrang"}
NEW_PROVINCE = "92"
LAST_DAY = "30/06/2025"
OUT = Path(__file__).resolve().parent.parent / "lms" / "org" / "data" / "reform_2025_can_tho.csv"


def main() -> None:
    data = Path(vietnamadminunits.__file__).parent / "data"
    db = sqlite3.connect(data / "dataset.db")
    conv = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    # the new communes as the pinned official list (vietnam-provinces) has them: its codes win where the two differ
    # (vietnamadminunits gives Phường Thuận Hưng 31228 and lacks Phường Thốt Nốt 31212)
    official = json.loads(Path(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH).read_text(encoding="utf-8"))
    wards = next(p["wards"] for p in official if p["code"] == int(NEW_PROVINCE))
    new_code = {w["codename"].replace("_", ""): f"{w['code']:05d}" for w in wards}
    new_name = {f"{w['code']:05d}": w["name"] for w in wards}
    to_new: dict[str, str] = {}
    for new_key, olds in conv["DICT_PROVINCE_WARD_NO_DIVIDED"]["thanhphocantho"].items():
        for old in olds:
            to_new[old] = new_code[new_key]
    divided: dict[str, list[str]] = {}
    for old, options in conv["DICT_PROVINCE_WARD_DIVIDED"]["thanhphocantho"].items():
        ordered = sorted(options, key=lambda o: not o["isDefaultNewWard"])
        divided[old] = [new_code[o["newWardKey"]] for o in ordered]
        to_new[old] = divided[old][0]
    rows = [["Mã", "Tên", "Cấp", "Mã cấp trên", "Hiệu lực từ", "Hiệu lực đến", "Mã đơn vị kế thừa", "Ghi chú"]]
    legacy = db.execute(
        "SELECT provinceCode, province, districtCode, district, districtType, wardCode, ward, wardType, provinceKey, districtKey, wardKey"
        " FROM admin_units_legacy WHERE provinceCode IN ('92', '93', '94') ORDER BY provinceCode, districtCode, wardCode"
    ).fetchall()
    for code, _key in OLD_PROVINCES.items():
        if code != NEW_PROVINCE:  # old Cần Thơ is the same province as the new one (it keeps its code)
            name = next(r[1] for r in legacy if r[0] == code)
            rows.append([code, name, "tỉnh", "", "", LAST_DAY, NEW_PROVINCE, "Hợp nhất vào Thành phố Cần Thơ từ 01/07/2025"])
    seen = set()
    for p_code, _p, d_code, district, d_type, *_ in legacy:
        if d_code not in seen:
            seen.add(d_code)
            kind = "thành phố thuộc tỉnh" if d_type.lower() == "thành phố" else d_type.lower()
            rows.append([d_code, district, kind, p_code, "", LAST_DAY, "", "Cấp huyện chấm dứt hoạt động từ 01/07/2025"])
    for _p_code, _p, d_code, _d, _dt, w_code, ward, w_type, p_key, d_key, w_key in legacy:
        old = f"{p_key}_{d_key}_{w_key}"
        successor = to_new[old]
        note = ""
        if old in divided:
            note = "Chia tách về: " + "; ".join(f"{new_name[c]} ({c})" for c in divided[old])
        rows.append([w_code, ward, w_type.lower(), d_code, "", LAST_DAY, successor, note])
    with OUT.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    print(f"{OUT}: {len(rows) - 1} units")


if __name__ == "__main__":
    main()
