# mlx's seeding preload for Python: `mlx capture` (and a replay image) puts this folder first on
# PYTHONPATH, so Python imports this file at start-up. From MLX_SEED it seeds `random`, numpy's global
# generator and torch (CPU and CUDA) as the script imports them: it imports none of them itself
# (importing torch takes seconds; even random costs start-up time). MLX_SEED_PRELOAD=0 turns the seeding off.
# Then it runs the sitecustomize that Python would have found without this folder (Debian ships one).
# Under `mlx capture` (MLX_PYTHON_IMPORTS_FILE set) it also notes, at exit, which installed distributions
# the run imported: pack installs only those for a system Python.
import os
import sys


def _seed():
    text = os.environ.get("MLX_SEED", "")
    if not text.isdigit() or len(text) > 10 or int(text) > 0xFFFFFFFF:
        return None
    return int(text)


def _warn(what, error):
    sys.stderr.write("mlx: could not seed %s: %s\n" % (what, error))


def _seed_random(module, value):
    module.seed(value)


def _seed_numpy(module, value):
    module.seed(value)


def _seed_torch(module, value):
    # manual_seed seeds the CPU generator and every CUDA device's, without initialising CUDA.
    module.manual_seed(value)


# Seeded right after the module finishes loading: numpy.random holds numpy's global generator.
_AFTER_IMPORT = {
    "random": ("random", _seed_random),
    "numpy.random": ("numpy", _seed_numpy),
    "torch": ("torch", _seed_torch),
}


class _SeedOnImport:
    """A finder that lets the usual finders find a module, then seeds it once its loader has run."""

    def __init__(self, value):
        self.value = value
        self.pending = {name: hook for name, hook in _AFTER_IMPORT.items() if name not in sys.modules}

    def find_spec(self, name, path=None, target=None):
        if name not in self.pending:
            return None
        what, seed = self.pending.pop(name)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        run = getattr(loader, "exec_module", None)
        if run is None:
            return spec
        value = self.value

        # Only this module's loader instance is wrapped, and only for this one load.
        def exec_module(module):
            try:
                del loader.exec_module
            except AttributeError:
                pass
            run(module)
            try:
                seed(module, value)
            except Exception as error:  # noqa: BLE001 - a failed seeding must never fail the user's import
                _warn(what, error)

        try:
            loader.exec_module = exec_module
        except AttributeError:
            pass
        return spec


def _install():
    value = _seed()
    if value is None or os.environ.get("MLX_SEED_PRELOAD") == "0":
        return
    # What is already loaded (random, when a .pth file imported it) is seeded now; the rest on import.
    for name, (what, seed) in _AFTER_IMPORT.items():
        if name in sys.modules:
            try:
                seed(sys.modules[name], value)
            except Exception as error:  # noqa: BLE001 - never fail the interpreter's start
                _warn(what, error)
    sys.meta_path.insert(0, _SeedOnImport(value))


def _chain():
    """Imports the next sitecustomize on sys.path, as if this folder were not there."""
    here = os.path.dirname(os.path.abspath(__file__))
    ours = sys.modules.pop(__name__, None)
    places = [i for i, p in enumerate(sys.path) if os.path.abspath(p or ".") == here]
    for i in reversed(places):
        del sys.path[i]
    try:
        import importlib

        importlib.import_module("sitecustomize")
    except ImportError as error:
        if error.name != "sitecustomize":
            raise
    finally:
        for i in places:
            sys.path.insert(i, here)
        if ours is not None and "sitecustomize" not in sys.modules:
            sys.modules[__name__] = ours


def _site_folders():
    """The folders installed distributions import from: site's own, the user's, any *-packages on sys.path."""
    import site

    folders = set(site.getsitepackages()) if hasattr(site, "getsitepackages") else set()
    if site.ENABLE_USER_SITE:
        folders.add(site.getusersitepackages())
    folders.update(p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages"))
    return [os.path.join(os.path.abspath(f), "") for f in folders if f]


def _imported_tops(folders, before):
    """
    The top-level names (the first part of the path below the site folder) of the modules loaded since
    start-up whose files lie in a site folder; what .pth files loaded before the script ran is left out.
    """
    tops = set()
    for name, module in list(sys.modules.items()):
        if name in before:
            continue
        spec = getattr(module, "__spec__", None)
        where = getattr(module, "__file__", None) or getattr(spec, "origin", None)
        if not isinstance(where, str) or not os.path.isabs(where):
            continue
        for folder in folders:
            if where.startswith(folder):
                tops.add(where[len(folder) :].split(os.sep)[0].partition(".")[0])
                break
    return tops


def _distributions_of(tops):
    """Top-level import names to distribution names (packages_distributions() is Python 3.10+: else read here)."""
    if not tops:
        return []
    from importlib import metadata

    if hasattr(metadata, "packages_distributions"):
        mapping = metadata.packages_distributions()
    else:
        mapping = {}
        for dist in metadata.distributions():
            text = dist.read_text("top_level.txt") or ""
            names = text.split() or {str(f).split("/")[0].partition(".")[0] for f in dist.files or []}
            for top in names:
                mapping.setdefault(top, []).append(dist.metadata["Name"])
    return sorted({d for top in tops for d in mapping.get(top, [])})


def _write_imports(path, before, top):
    try:
        tops = _imported_tops(_site_folders(), before)
        line = {"pid": os.getpid(), "top": top, "modules": sorted(tops), "distributions": _distributions_of(tops)}
        import json

        data = (json.dumps(line) + "\n").encode("utf-8")
        # One write in append mode: the processes of one run (multiprocessing workers) each add their line.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    except Exception as error:  # noqa: BLE001 - never fail the user's exit
        sys.stderr.write("mlx: could not record the imported packages: %s\n" % error)


def _record_imports():
    # Work at exit only: nothing at start-up but registering. A run killed by a signal leaves no line.
    path = os.environ.get("MLX_PYTHON_IMPORTS_FILE")
    if path:
        import atexit

        # The first Python of the run marks its line "top": a list without it is partial (the top one was killed).
        top = "MLX_PYTHON_IMPORTS_TOP" not in os.environ
        os.environ.setdefault("MLX_PYTHON_IMPORTS_TOP", str(os.getpid()))
        atexit.register(_write_imports, path, frozenset(sys.modules), top)


_install()
try:
    _chain()
finally:
    # After the chained sitecustomize: what it loads (Ubuntu's apport hook) is not the run's. Registered even
    # when the user's own sitecustomize raised, so that pack still learns what the run imported.
    _record_imports()
