import { posix } from "node:path";
import type { DriftRow, GpuInfo, Probed, RunManifest, SystemInfo } from "../record/types.js";

export type { DriftRow };

/** The numeric packages whose versions change results, compared when either side has them. */
export const KEY_PYTHON_PACKAGES = [
  "numpy",
  "scipy",
  "torch",
  "torchvision",
  "scikit-learn",
  "pandas",
  "jax",
  "jaxlib",
  "tensorflow",
  "xgboost",
  "lightgbm",
  "numba",
];

/** Thread and BLAS settings: they change the order of parallel reductions, and so the last bits of results. */
export const THREAD_VARIABLES = [
  "OMP_NUM_THREADS",
  "MKL_NUM_THREADS",
  "OPENBLAS_NUM_THREADS",
  "NUMEXPR_NUM_THREADS",
  "VECLIB_MAXIMUM_THREADS",
];
/** Shown even when unset on both sides: the three every BLAS build reads. */
const ALWAYS_SHOWN = new Set(["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"]);

/** What a short run of the interpreter in the image printed at pack (see probe-image-runtime.ts). */
export interface ImageRuntime {
  python: string | null;
  node: string | null;
  /** Normalized distribution name -> version, of KEY_PYTHON_PACKAGES and nvidia-cudnn-*. */
  packages: Record<string, string>;
  /** Read from torch's version.py, without importing torch. */
  torch: { version: string; cuda: string | null } | null;
  /** Lockfile path (relative to the repository root) -> sha256 in the image, null when absent. */
  lockfiles: Record<string, string | null>;
  /** THREAD_VARIABLES as the image's own environment (its ENV lines) sets them. */
  env: Record<string, string | null>;
}

export type ProbedRuntime = ({ available: true } & ImageRuntime) | { available: false; reason: string };

export interface HostFacts {
  system: Probed<SystemInfo>;
  gpus: Probed<GpuInfo>;
  docker: string | undefined;
  imageId: string;
  /** The image's runtime, probed in the image; absent: no runtime lines (a comparison of two records). */
  runtime?: ProbedRuntime;
}

/**
 * The replay side of the runtime lines: the facts pack measured in this very image (replay runs it by
 * id), with the thread settings the replay container really gets: its own variables over the image's.
 */
export function runtimeAtReplay(image: ImageRuntime | undefined, containerEnv: Readonly<Record<string, string>>): ProbedRuntime {
  if (!image) return { available: false, reason: "the bundle holds no facts about its image (packed by an older mlx)" };
  const env = Object.fromEntries(THREAD_VARIABLES.map((k) => [k, containerEnv[k] ?? image.env[k] ?? null]));
  return { available: true, ...image, env };
}

const show = <T extends object>(p: Probed<T> | undefined, f: (v: T) => string): string =>
  !p ? "not probed" : p.available ? f(p as T) : `none (${p.reason.split(":")[0]})`;

/** The two hosts side by side: what differs may explain a divergence. */
export function compareEnvironments(run: RunManifest, originalImageId: string, replay: HostFacts): DriftRow[] {
  const rows: Array<[string, string, string]> = [
    ["cpu", show(run.system, (s) => s.cpu.model), show(replay.system, (s) => s.cpu.model)],
    ["cores", show(run.system, (s) => String(s.cpu.cores)), show(replay.system, (s) => String(s.cpu.cores))],
    [
      "memory",
      show(run.system, (s) => `${Math.round(s.memoryBytes / 2 ** 30)} GiB`),
      show(replay.system, (s) => `${Math.round(s.memoryBytes / 2 ** 30)} GiB`),
    ],
    ["kernel", show(run.system, (s) => s.release), show(replay.system, (s) => s.release)],
    [
      "gpu",
      show(run.gpus, (g) => g.devices.map((d) => d.name).join(", ") || "none"),
      show(replay.gpus, (g) => g.devices.map((d) => d.name).join(", ") || "none"),
    ],
    ["driver", show(run.gpus, (g) => g.driver ?? "-"), show(replay.gpus, (g) => g.driver ?? "-")],
    ["cuda", show(run.gpus, (g) => g.cuda ?? "-"), show(replay.gpus, (g) => g.cuda ?? "-")],
    ["docker", run.runtimes?.docker ?? "not used", replay.docker ?? "unknown"],
    ...(replay.runtime ? compareRuntimes(run, replay.runtime) : []),
    ["image", `${originalImageId.slice(0, 19)} (packed)`, replay.imageId.slice(0, 19)],
  ];
  return rows.map(([what, original, replayed]) => ({
    what,
    original,
    replay: replayed,
    same: original === replayed || (what === "image" && originalImageId === replay.imageId),
  }));
}

const PYTHON = /^python(\d+(\.\d+)*)?$/;
const NODE = /^(node|nodejs)$/;

/** Which runtime the run's command used, as far as the record tells: Python, Node, or neither. */
export function runtimeOfRun(run: RunManifest): "python" | "node" | null {
  const program = posix.basename(run.command.argv[0] ?? "");
  if (run.python?.available || PYTHON.test(program) || ["uv", "poetry", "pipenv"].includes(program)) return "python";
  if (NODE.test(program) || (run.dependencies?.lockfiles.length ?? 0) > 0) return "node";
  return null;
}

/** The interpreter to probe the image with: the command's own when it names one. */
export function interpreterOfRun(run: RunManifest): string | null {
  const kind = runtimeOfRun(run);
  const program = run.command.argv[0] ?? "";
  if (kind === "python") return PYTHON.test(posix.basename(program)) ? program : "python3";
  if (kind === "node") return NODE.test(posix.basename(program)) ? program : "node";
  return null;
}

const normalizeName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, "-");

/** The runtime lines: the record's facts against what the replay's image really holds. */
function compareRuntimes(run: RunManifest, probed: ProbedRuntime): Array<[string, string, string]> {
  const kind = runtimeOfRun(run);
  if (kind === null) return [];
  const img = probed.available ? probed : null;
  const missing = probed.available ? "absent" : `not probed (${probed.reason.slice(0, 80)})`;
  const rows: Array<[string, string, string]> = [];
  if (kind === "node") {
    rows.push(["node", run.runtimes?.node ?? "not recorded", img?.node ?? missing]);
    for (const lock of run.dependencies?.lockfiles ?? []) {
      const inImage = img ? (img.lockfiles[lock.path] ?? null) : null;
      rows.push([`lockfile ${lock.path}`, lock.sha256.slice(0, 12), img ? (inImage?.slice(0, 12) ?? "absent") : missing]);
    }
  } else {
    const py = run.python?.available ? run.python : null;
    rows.push(["python", py?.version ?? run.runtimes?.python ?? "not recorded", img?.python ?? missing]);
    const recorded = new Map((py?.distributions ?? []).map((d) => [normalizeName(d.name), d.version]));
    for (const name of KEY_PYTHON_PACKAGES) {
      const inImage = img?.packages[name];
      if (!recorded.has(name) && inImage === undefined) continue;
      rows.push([name, recorded.get(name) ?? "absent", img ? (inImage ?? "absent") : missing]);
    }
    if (py?.torch || img?.torch) {
      rows.push(["torch cuda", py?.torch ? (py.torch.cuda ?? "none (CPU build)") : "absent", img ? torchCuda(img) : missing]);
      const cudnn = img ? Object.entries(img.packages).find(([n]) => n.startsWith("nvidia-cudnn"))?.[1] : undefined;
      rows.push(["torch cudnn", py?.torch ? (py.torch.cudnn ?? "none") : "absent", img ? (cudnn ?? "none") : missing]);
    }
  }
  for (const name of THREAD_VARIABLES) {
    const original = run.env.vars[name] ?? null;
    const replayed = img ? (img.env[name] ?? null) : null;
    if (!ALWAYS_SHOWN.has(name) && original === null && replayed === null) continue;
    rows.push([name, original ?? "unset", img ? (replayed ?? "unset") : missing]);
  }
  return rows;
}

function torchCuda(img: ImageRuntime): string {
  if (!img.torch) return "absent";
  return img.torch.cuda ?? "none (CPU build)";
}
