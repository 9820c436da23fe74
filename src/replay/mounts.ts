import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { APP_DIR, MLX_DIR_IN_CONTAINER } from "../bundle/image-layout.js";
import type { OpenBundle } from "../bundle/read-bundle.js";
import { BadInputError } from "../errors.js";
import type { RunManifest } from "../record/types.js";
import { SDK_METRICS_FILE } from "../metrics/metrics-collector.js";

export interface Mounts {
  /** host:container[:ro], for the container spec. */
  binds: string[];
  /** The host folder holding the SDK's metrics file, the one file mounted into /mlx. */
  mlxDir: string;
  /** Declared output (recorded path) -> its host path under --out. */
  outputs: Map<string, string>;
  /** Declared metrics file (as recorded) -> its host path under --out. */
  metricFiles: Map<string, string>;
}

/**
 * Data read-only from the verified bundle; each declared output and metrics file writable through
 * its own host path under `out` (the root filesystem stays read-only). Of /mlx only the SDK's metrics
 * file is mounted, as a file: the container can write into it (within its file size limit) but can
 * neither replace it with a link or a FIFO nor add files beside it.
 */
export async function prepareMounts(opened: OpenBundle, run: RunManifest, out: string): Promise<Mounts> {
  const binds = opened.manifest.data.map((d) => `${join(opened.folder, "data", d.path)}:${posix.join(APP_DIR, d.path)}:ro`);
  const mlxDir = join(out, "mlx");
  await mkdir(mlxDir, { recursive: true });
  const sdkFile = join(mlxDir, SDK_METRICS_FILE);
  await writeFile(sdkFile, "", { mode: 0o666, flag: "wx" });
  await chmod(sdkFile, 0o666); // the container runs as nobody
  binds.push(`${sdkFile}:${posix.join(MLX_DIR_IN_CONTAINER, SDK_METRICS_FILE)}`);
  const writable = async (rel: string, kind: "file" | "dir"): Promise<string> => {
    const host = join(out, "outputs", rel);
    await mkdir(kind === "dir" ? host : dirname(host), { recursive: true });
    if (kind === "file") await writeFile(host, "", { mode: 0o666 });
    await chmod(host, kind === "dir" ? 0o777 : 0o666);
    binds.push(`${host}:${posix.join(APP_DIR, rel)}`);
    return host;
  };
  const outputs = new Map<string, string>();
  for (const o of run.outputs) outputs.set(o.path, await writable(o.path, o.kind));
  const metricFiles = new Map<string, string>();
  for (const file of run.metrics?.files ?? []) {
    const rel = posix.normalize(posix.join(run.command.cwd, file));
    if (rel.startsWith("..") || rel.startsWith("/")) {
      throw new BadInputError(`the record's metrics file ${file} lies outside the repository`, "Do not use this bundle.");
    }
    metricFiles.set(file, outputs.get(rel) ?? (await writable(rel, "file")));
  }
  return { binds, mlxDir, outputs, metricFiles };
}
