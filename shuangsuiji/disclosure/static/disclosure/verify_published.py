#!/usr/bin/env python3
"""Check the published part of a ssj-draw/1 draw (Python >= 3.8, standard library only).

    python3 verify_published.py TASK.json        # the file downloaded from the portal's task page
    python3 verify_published.py https://…/tasks/12.json

It recomputes the seed from the revealed inputs (commitment digest, server nonce, ceremony entropy) and each
published entity's ticket, prints OK and exits 0 when everything matches, and names the first mismatch
otherwise (exit 1). The full check of a draw (population, quotas, teams) needs its bundle and verify_draw.py.
"""

import hashlib
import json
import sys
import unicodedata
import urllib.request


def main(argv: "list[str]") -> int:
    if len(argv) != 2:
        print(__doc__.strip())
        return 2
    source = argv[1]
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source) as response:  # noqa: S310  # nosec B310
            data = json.load(response)
    else:
        with open(source, encoding="utf-8") as handle:
            data = json.load(handle)
    reveal = data.get("reveal")
    if not reveal:
        print("NOT YET: the seed's inputs are published once every result of the task is published")
        return 1
    seed = hashlib.sha256(
        b"ssj-draw/1\x00"
        + bytes.fromhex(reveal["commitment_sha256"])
        + bytes.fromhex(reveal["server_nonce"])
        + unicodedata.normalize("NFC", reveal["ceremony_entropy"]).encode("utf-8")
    ).digest()
    if seed.hex() != reveal["seed"]:
        print("FAIL: the seed does not follow from the revealed inputs")
        return 1
    for entry in data.get("selected", []):
        ticket = hashlib.sha256(seed + b"obj\x00" + entry["key"].encode("utf-8")).hexdigest()
        if ticket != entry["ticket"]:
            print(f"FAIL: ticket of {entry['key']} does not match the seed")
            return 1
    count = len(data.get("selected", []))
    print(f"OK: seed and {count} published tickets of {data.get('task')} check out")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
