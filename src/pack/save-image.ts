// The image into image.tar: `docker save` as it is, or with its layers gzip-compressed.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { compressImageArchive, type CompressedImage, type ImageCompression } from "../bundle/compress-image.js";
import { IMAGE_ARCHIVE } from "../bundle/layout.js";
import type { DockerClient } from "../docker/docker-client.js";
import type { OnProgress } from "../primitives/progress-event.js";
import { tempPathFor } from "../primitives/write-atomic.js";

export interface SaveImageDeps {
  docker: DockerClient;
  progress: { step(line: string): void; update: OnProgress };
  /** Temp paths made so far: the CLI removes them if the pack is interrupted. */
  temps: Set<string>;
}

/**
 * Saves `imageId` into a temp file beside `output` and returns its path (in `deps.temps`; the caller
 * removes it). With gzip, the saved archive and the compressed layers' pieces live in a temp folder
 * beside it until image.tar is written. Nothing else stays behind, on any path.
 */
export async function saveImage(
  imageId: string,
  output: string,
  compress: ImageCompression,
  deps: SaveImageDeps,
  warnings: string[],
): Promise<string> {
  const target = tempPathFor(join(dirname(output), IMAGE_ARCHIVE));
  deps.temps.add(target);
  const step = "saving image";
  const onBytes = (done: number): void => deps.progress.update({ step, done });
  if (compress === "none") {
    deps.progress.update({ step, done: 0 });
    await deps.docker.save(imageId, target, onBytes).catch(async (error: unknown) => {
      await rm(target, { force: true });
      deps.temps.delete(target);
      throw error;
    });
    deps.progress.update({ step, done: (await stat(target)).size, end: true });
    return target;
  }
  const workDir = await mkdtemp(join(dirname(output), ".mlx-compress-"));
  deps.temps.add(workDir);
  try {
    const result = await saveCompressed(imageId, target, workDir, deps);
    if (result.layers > 0) deps.progress.step(`image layers compressed: ${formatRatio(result.layerBytes, result.compressedBytes)}`);
    if (result.layers === 0 && result.blobs > 0)
      warnings.push(
        "image.tar is not compressed: this engine's docker save names layers by digest (OCI layout); mlx leaves those as they are",
      );
    return target;
  } catch (error) {
    await rm(target, { force: true });
    deps.temps.delete(target);
    throw error;
  } finally {
    await rm(workDir, { recursive: true, force: true });
    deps.temps.delete(workDir);
  }
}

/** Saved to a file first, then compressed, each step with its progress. */
async function saveCompressed(imageId: string, target: string, workDir: string, deps: SaveImageDeps): Promise<CompressedImage> {
  // Saving into a FIFO that the compressor reads, to overlap the two, took 3x as long on 2 cores: the
  // blocking pipe writes and reads wait behind the compression jobs on libuv's thread pool.
  const saved = join(workDir, "saved.tar");
  deps.progress.update({ step: "saving image", done: 0 });
  await deps.docker.save(imageId, saved, (done) => deps.progress.update({ step: "saving image", done }));
  const total = (await stat(saved)).size;
  deps.progress.update({ step: "saving image", done: total, end: true });
  const step = "compressing image";
  deps.progress.update({ step, done: 0, total });
  const result = await compressImageArchive(saved, target, { workDir, onBytes: (done) => deps.progress.update({ step, done, total }) });
  deps.progress.update({ step, done: total, total, end: true });
  return result;
}

function formatRatio(before: number, after: number): string {
  const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${mib(before)} -> ${mib(after)} (${(after / before).toFixed(2)}x)`;
}
