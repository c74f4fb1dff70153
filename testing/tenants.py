"""Two cities served by one server: their tables, their tenants file, and each city's store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ColumnExpressionArgument, create_engine, func, select

from testing.database import STORES, postgres_schema_url

HEADER = "id,question,alt_questions,answer,department,audience\n"


SHARED = HEADER + ("P001,マイナンバーカードを申請するにはどうすればよいですか。,マイナンバーカードの作り方,"
                   "マイナンバーカードは郵送・スマートフォン・証明写真機から申請できます（県共通の案内）。,"
                   "県 デジタル推進課,resident\n"
                   "P002,パスポートはどこで申請できますか。,旅券の申請窓口,"
                   "パスポートは県の旅券センター（県庁本館1階）で申請できます。,県 旅券センター,resident\n"
                   "P003,運転免許証の住所変更はどこでできますか。,免許の住所変更,"
                   "運転免許証の住所変更は警察署か運転免許センターでできます。,県警 運転免許課,resident\n")


ASAHI_STAFF = {"AS01": ("職員の出張旅費の精算期限はいつですか。",
                        "出張旅費は帰庁後5日以内に旅費システムで精算してください。"),
               "AS02": ("庁内ネットワークのパスワードを忘れたときはどうしますか。",
                        "情報政策課の内線2345へ連絡してください。")}


ASAHI = (HEADER + ("A001,粗大ごみの申し込み方法を教えてください。,大きいごみの出し方,"
                   "粗大ごみはあさひ市粗大ごみ受付センターに電話で申し込んでください。,あさひ市 環境課,"
                   "resident\n"
                   "A002,児童手当の申請に必要なものは何ですか。,児童手当 持ち物,"
                   "児童手当の申請には通帳と本人確認書類をあさひ市こども課へお持ちください。,"
                   "あさひ市 こども課,resident\n"
                   "P002,パスポートはどこで申請できますか。,旅券の申請窓口,"
                   "パスポートはあさひ市役所2階のあさひ市旅券窓口で申請できます。,あさひ市 市民課,resident\n")
         + "".join(f"{i},{q},,【あさひ市職員限定】{a},あさひ市 総務課,staff\n"
                   for i, (q, a) in ASAHI_STAFF.items()))


KAWASE = HEADER + ("K001,犬の登録はどこでできますか。,飼い犬の登録,"
                   "犬の登録はかわせ市環境課で受け付けています。,かわせ市 環境課,resident\n"
                   "K002,図書館の開館時間を教えてください。,図書館 何時まで,"
                   "かわせ市立図書館は9時から19時まで開いています。,かわせ市 図書館,resident\n"
                   "KS01,時間外勤務の事前申請はどうすればよいですか。,残業の申請方法,"
                   "【かわせ市職員限定】時間外勤務は前日までに勤怠システムで申請してください。,"
                   "かわせ市 人事課,staff\n")


HOSTS = {"asahi": "asahi.example.jp", "kawase": "kawase.example.jp"}


THEMES = {"asahi": ("#c0392b", "あさひ市 AIチャット"), "kawase": ("#16a085", "かわせ市 問い合わせ")}


def write_city(folder: Path, stores: dict[str, str]) -> Path:
    """The three tables and the tenants file that names them (paths relative to the file)."""
    for name, text in (("shared.csv", SHARED), ("asahi.csv", ASAHI), ("kawase.csv", KAWASE)):
        (folder / name).write_text(text, encoding="utf-8")
    tenants = "".join(f"""  - id: {key}
    city_name: {"あさひ市" if key == "asahi" else "かわせ市"}
    hosts: [{HOSTS[key]}]
    sources: [{key}.csv]
    index_dir: index-{key}
    database_url: "{stores[key]}"
    theme: {{color: "{THEMES[key][0]}", title: {THEMES[key][1]}}}
    settings: {{call_center_hours: "{key} 平日 9:00〜17:00"}}
""" for key in HOSTS)
    path = folder / "tenants.yaml"
    path.write_text(f"shared_sources: [shared.csv]\ntenants:\n{tenants}", encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=STORES)
def stores(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Each city's database; on PostgreSQL also the server's own ("server"), which holds the tenant
    registry."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("tenant-stores")
        yield {key: f"sqlite:///{folder / key}.db" for key in HOSTS}
        return
    schemas = {key: postgres_schema_url() for key in [*HOSTS, "server"]}
    yield {key: next(schema) for key, schema in schemas.items()}
    for schema in schemas.values():
        next(schema, None)


def count(url: str, column: ColumnExpressionArgument[Any], *where: ColumnExpressionArgument[bool]) -> int:
    """Rows of one city's store that match, counted behind the application's back."""
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(select(func.count(column)).where(*where)).scalar_one()
    engine.dispose()
    return int(found)
