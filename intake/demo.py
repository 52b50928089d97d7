"""A realistic, reproducible demo order book: suppliers in China, buyers abroad, mixed carriers."""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

from intake.orderbook import COLUMNS, RawRow

SUPPLIERS = (
    ("SUP-SZ-001", "深圳市华强电子科技有限公司", "广东省深圳市福田区华强北路1002号赛格广场28楼"),
    ("SUP-YW-002", "义乌市小商品进出口有限公司", "浙江省金华市义乌市国际商贸城二区东门5街12号"),
    ("SUP-GZ-003", "广州白云皮具制品厂", "广东省广州市白云区三元里大道788号"),
    ("SUP-HZ-004", "杭州丝绸之路服饰有限公司", "浙江省杭州市上城区解放路138号"),
    ("SUP-DG-005", "东莞市精工五金制品有限公司", "广东省东莞市长安镇振安中路301号"),
    ("SUP-XM-006", "厦门海韵茶业有限公司", "福建省厦门市思明区湖滨南路90号"),
    ("SUP-SH-007", "上海悦家家居用品有限公司", "上海市闵行区七莘路3555号"),
    ("SUP-NB-008", "宁波晨光文具有限公司", "浙江省宁波市鄞州区天童南路588号"),
    ("SUP-QZ-009", "泉州鸿星运动用品有限公司", "福建省泉州市晋江市陈埭镇鞋都路66号"),
    ("SUP-FS-010", "佛山美的小家电配件厂", "广东省佛山市顺德区北滘镇美的大道6号"),
    ("SUP-CD-011", "成都蜀绣工艺品有限公司", "四川省成都市锦江区春熙路南段8号"),
    ("SUP-SU-012", "苏州绿叶化妆品有限公司", "江苏省苏州市工业园区星湖街328号"),
)

# (country, buyer names, street pattern, city line, postcode maker)
DESTINATIONS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    (
        "US",
        ("Emily Johnson", "Michael Brown", "Sarah Davis", "James Wilson", "Ashley Garcia"),
        "{n} Maple Street Apt {a}",
        "Springfield, IL",
    ),
    (
        "GB",
        ("Oliver Smith", "Amelia Jones", "Harry Taylor", "Isla Evans", "George Walker"),
        "{n} Baker Street, Flat {a}",
        "London",
    ),
    (
        "MY",
        ("Nurul Aisyah", "Tan Wei Ming", "Siti Rahimah", "Lim Chee Keong"),
        "No. {n}, Jalan Bukit Bintang {a}",
        "Kuala Lumpur",
    ),
    (
        "TH",
        ("Somchai Sukjai", "Nattaya Wongsa", "Anan Chaiyaporn"),
        "{n}/{a} Sukhumvit Soi 11",
        "Bangkok",
    ),
    (
        "VN",
        ("Nguyễn Thị Hoa", "Đặng Quốc Tuấn", "Trần Văn Minh", "Lê Thị Mai"),
        "Số {n} Đường Lê Lợi, Phường {a}",
        "Quận 1, TP. Hồ Chí Minh",
    ),
    (
        "PH",
        ("Maria Santos", "Jose Reyes", "Angelica Cruz"),
        "{n} Rizal Avenue, Brgy. {a}",
        "Quezon City, Metro Manila",
    ),
    (
        "SG",
        ("Tan Li Hua", "Muhammad Faris", "Priya Nair"),
        "Blk {n} Ang Mo Kio Ave 3 #0{a}-12",
        "Singapore",
    ),
    (
        "ID",
        ("Budi Santoso", "Siti Nurhaliza", "Agus Pratama"),
        "Jl. Sudirman No. {n} RT {a}",
        "Jakarta Selatan",
    ),
)

CHINA = timezone(timedelta(hours=8))
CARRIERS = ("SF", "ZTO", "YTO", "STO", "Yunda", "J&T", "JD", "EMS", "Deppon")


def postcode(country: str, rng: random.Random) -> str:
    """A postal code in the destination's format."""
    if country == "US":
        return f"{rng.randint(10000, 99999)}" + (
            f"-{rng.randint(1000, 9999)}" if rng.random() < 0.3 else ""
        )
    if country == "GB":
        return (
            f"{rng.choice(['SW', 'NW', 'E', 'N', 'W'])}{rng.randint(1, 20)} {rng.randint(1, 9)}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        )
    if country in ("SG", "VN"):
        return f"{rng.randint(100000, 999999)}"
    if country == "PH":
        return f"{rng.randint(1000, 9999)}"
    return f"{rng.randint(10000, 99999)}"


def tracking_number(carrier: str, rng: random.Random, serial: int) -> str:
    """A domestic waybill number in the carrier's format, unique for each serial below 10**9."""

    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n - 9)) + f"{serial:09d}"

    return {
        "SF": lambda: "SF" + digits(13),
        "ZTO": lambda: "7" + rng.choice("3589") + digits(10),
        "YTO": lambda: "YT" + digits(13),
        "STO": lambda: "77" + digits(11),
        "Yunda": lambda: "43" + digits(11),
        "J&T": lambda: "JT" + digits(13),
        "JD": lambda: "JDV" + digits(12),
        "EMS": lambda: "E" + rng.choice("ABCDEFGHJ") + digits(9) + "CN",
        "Deppon": lambda: "DPK" + digits(12),
    }[carrier]()


def demo_records(
    count: int,
    *,
    seed: int = 7,
    now: datetime | None = None,
    order_base: int = 576_400_000_000_000_000,
) -> Iterator[RawRow]:
    """`count` order-book records, the same for the same seed, ordered over the last ten days."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(microsecond=0)
    for i in range(count):
        yield RawRow(i + 2, _demo_cells(i, rng, now, order_base))


def _demo_cells(i: int, rng: random.Random, now: datetime, order_base: int) -> dict[str, str]:
    supplier = SUPPLIERS[rng.randrange(len(SUPPLIERS))]
    country, names, street, city = DESTINATIONS[rng.randrange(len(DESTINATIONS))]
    carrier = rng.choice(CARRIERS)
    packages = 1 if rng.random() < 0.96 else rng.randint(2, 4)
    ordered = now - timedelta(minutes=rng.randint(60 * 30, 60 * 24 * 6))
    ready: datetime | None = ordered + timedelta(hours=rng.uniform(2, 60))
    if rng.random() < 0.06:
        ready = ordered + timedelta(hours=rng.uniform(73, 120))  # shipped late
    elif rng.random() < 0.03:
        ready = None  # never marked ready to ship
    if ready is not None and ready > now:
        ready = now - timedelta(hours=1)
    waybills = ";".join(tracking_number(carrier, rng, i * 4 + k) for k in range(packages))
    cells = {
        "order_no": str(order_base + i * 7919 + rng.randint(0, 7000)),
        "supplier_id": supplier[0],
        "supplier_name": supplier[1],
        "supplier_address": supplier[2],
        "buyer_name": rng.choice(names),
        "buyer_address": street.format(n=rng.randint(1, 300), a=rng.randint(1, 40)) + ", " + city,
        "buyer_postcode": postcode(country, rng),
        "buyer_country": country,
        "carrier": carrier,
        "domestic_tracking_no": waybills if ready else "",
        "packages": str(packages),
        "ordered_at": ordered.astimezone(CHINA).isoformat(),
        "ready_to_ship_at": ready.astimezone(CHINA).isoformat() if ready else "",
    }
    assert set(cells) == set(COLUMNS)
    return cells
