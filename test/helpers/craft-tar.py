#!/usr/bin/env python3
"""Crafts hostile tar archives for replay tests (node-tar refuses to write most of them).
usage: craft-tar.py OUT.tar SPEC.json  where SPEC is a list of
  {"name": str, "type": "file"|"symlink"|"hardlink"|"fifo"|"dir", "data": str, "linkname": str, "mode": int}
"""
import io, json, sys, tarfile

out, spec = sys.argv[1], json.load(open(sys.argv[2]))
types = {"file": tarfile.REGTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE, "dir": tarfile.DIRTYPE}
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
    for e in spec:
        info = tarfile.TarInfo(e["name"])
        info.type = types[e.get("type", "file")]
        info.mode = e.get("mode", 0o644)
        info.linkname = e.get("linkname", "")
        data = e.get("data", "").encode()
        info.size = len(data) if info.type == tarfile.REGTYPE else 0
        tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
