"""Fingerprints of the made-up example data points that versions before issue 13 shipped in
data/pulse_points.json and loaded into every database, so that an upgraded install can delete them
(`PulseStore.retire_shipped_examples`). Only fingerprints: the figures themselves must not ship again.
"""

from __future__ import annotations

import hashlib

from bot.core.pulse import DataPoint

FINGERPRINT_CHARS = 20
RETIRED_EXAMPLES = frozenset(
    {
        "3dc3f70b5e280bde091c",
        "8067880492f3c6602ff9",
        "6e257f428c5e486d5883",
        "4e2e198347bb3b5c4815",
        "0d56773c6fde8cd3fa10",
        "984a7c1010d2ac46c5af",
        "3304d02968cfa0fad57c",
        "32bb1a4a8a408ab16f0d",
        "540ea2a98309309f6c37",
        "7096587c8f18c738dce0",
        "e0bd22854bf631b41357",
        "0c59e11e8eefd9a92a18",
        "b4832d3fce77c2a758b5",
        "f5f850231075fa1b28b1",
        "25d67849f2192ae66762",
        "e79cc398286a7b2a8f1f",
        "37e2cf154db6aa8a9d0b",
        "27f3dc3177e305c1953e",
        "b9863831dfa61291d204",
        "009eae954abebd555421",
        "c086dab14affa6868d5f",
        "c7a8dc50e0ae3d520df8",
        "ff32d8052e56267b73d2",
        "93bba2556d822780d93b",
        "71eb2ec6914350d8626c",
        "f833a0e22f1c9df988e0",
        "b2c5f20cb3a2da1142ed",
        "6e67e349fde786021dc2",
        "b61ed2e996d29cdd6e84",
        "c02b06a6a74e00689120",
        "33d3c9fb47b064e9520f",
        "feb16572857cec29ff23",
        "768120161084d288b4db",
        "9b01dce4a8c69485d9f5",
        "8b1e517f779f9fba7d33",
        "b4723cf0a5fb2b0c8172",
        "cb913785d16c6df42555",
        "8ed15a8b11714eb15170",
        "4a626d63a52f5e7354ce",
        "43c91a6692121daec041",
        "abe84df5d321d6939f12",
        "2afdba25b6d0447bee22",
        "821c35d78e35cd3f6ddc",
        "664b5bbfd4d913e56211",
        "d4747ee1335897ea54ec",
        "23b7ab8ae616be874fe5",
        "e2f3e4acf9c9341da6ed",
        "d37f0d17a3a77ee2b497",
        "ff6f6def257678fe0ced",
        "a68fb398074b448d3874",
        "d63bd0c4fd7838583998",
        "80c6e31b520a71288ef2",
        "015f2116db1b506e9873",
        "7a504e1c2d4bb063351d",
        "9a8ea5edf4a2614dadea",
        "db8cbda26535015524d2",
        "33920c420df39d6e2702",
        "86bce4ba28a2e97cf988",
        "0fbf6f5a10f8e501c59d",
        "a1d0dc5c1d05cf6e8bc8",
    }
)


def fingerprint(point: DataPoint) -> str:
    """Every stored field, so a point an editor changed in any way no longer matches."""
    fields = [point.week, str(point.rank), point.figure, point.headline, point.detail, point.source_url or ""]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:FINGERPRINT_CHARS]


def is_retired_example(point: DataPoint) -> bool:
    return fingerprint(point) in RETIRED_EXAMPLES
