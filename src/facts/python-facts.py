# Run by mlx with the interpreter of a captured Python command: prints, as one JSON object, the
# interpreter's facts and every installed distribution with a cheap content fingerprint.
# It imports nothing outside the standard library and never imports the distributions themselves
# (importing torch alone takes seconds). Python 3.8 or later (importlib.metadata).
import hashlib
import json
import os
import platform
import site
import sys
from importlib import metadata


def files_of(dist, location):
    """The installed files of a distribution, relative to its site folder, sorted."""
    listed = dist.files
    if listed is not None:
        return sorted({str(f) for f in listed})
    # Debian's egg-info folders list no files: walk the top-level packages they name instead.
    top = dist.read_text("top_level.txt") or ""
    found = set()
    skip = len(location) + 1
    for name in top.split():
        base = os.path.join(location, name)
        if os.path.isdir(base):
            for folder, dirs, names in os.walk(base):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                inside = folder[skip:] + "/"
                found.update(inside + n for n in names)
        elif os.path.isfile(base + ".py"):
            found.add(name + ".py")
    return sorted(found)


def fingerprint(dist, location, files):
    """sha256 over each file's path, size and modification time, then the RECORD's bytes."""
    digest = hashlib.sha256()
    for rel in files:
        try:
            info = os.stat(os.path.join(location, rel))
            digest.update(("%s\0%d\0%d\n" % (rel, info.st_size, info.st_mtime_ns)).encode("utf-8", "surrogateescape"))
        except OSError:
            digest.update(("%s\0missing\n" % rel).encode("utf-8", "surrogateescape"))
    record = metadata_path(dist)
    if record is not None:
        try:
            with open(os.path.join(record, "RECORD"), "rb") as handle:
                digest.update(handle.read())
        except OSError:
            pass
    return digest.hexdigest()


def metadata_path(dist):
    path = getattr(dist, "_path", None)
    return None if path is None else str(path)


def distributions():
    seen = set()
    result = []
    for dist in metadata.distributions():
        # Parsed once: .metadata and .version each parse the metadata file again.
        fields = dist.metadata
        name = fields["Name"]
        if not name:
            continue
        key = name.lower().replace("_", "-").replace(".", "-")
        # The first one found on sys.path is the one that imports; later copies are shadowed.
        if key in seen:
            continue
        seen.add(key)
        location = os.path.normpath(str(dist.locate_file("")))
        files = files_of(dist, location)
        result.append(
            {
                "name": name,
                "version": fields["Version"] or "",
                "location": location,
                "files": len(files),
                "fingerprint": fingerprint(dist, location, files),
                "metadataPath": metadata_path(dist),
            }
        )
    result.sort(key=lambda d: d["name"].lower())
    return result


def site_folders():
    folders = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        folders.append(site.getusersitepackages())
    return [f for f in folders if os.path.isdir(f)]


def main():
    facts = {
        "executable": sys.executable,
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "prefix": sys.prefix,
        "basePrefix": getattr(sys, "base_prefix", sys.prefix),
        "siteFolders": site_folders(),
        "distributions": distributions(),
    }
    sys.stdout.write(json.dumps(facts))


main()
