import { createHash } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createReadStream } from "node:fs";
import { Parser, type ReadEntry } from "tar";
import { BadInputError } from "../errors.js";
import { TarWriter } from "./tar-writer.js";

const SMALL = 4 * 1024 * 1024;

interface SavedManifest {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

/** A parser that keeps the small files of a `docker save` archive (manifest.json, configs) as it streams by. */
export function smallFilesCollector(): { parser: Parser; files: Map<string, Buffer> } {
  const files = new Map<string, Buffer>();
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      if ((entry.size ?? 0) > SMALL || entry.type !== "File") return entry.resume();
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => files.set(entry.path, Buffer.concat(chunks)));
    },
  });
  // A corrupt image.tar is reported by checkImageArchive (nothing usable was collected), not here.
  parser.on("error", () => files.clear());
  return { parser, files };
}

/**
 * Checks a `docker save` archive before it goes near the engine: manifest.json lists exactly
 * one image, and the sha256 of its config file (the image id) is `expectedId`.
 */
export function checkImageArchive(
  small: ReadonlyMap<string, Buffer>,
  expectedId: string,
): { repoTags: string[]; hasRepositories: boolean } {
  const manifestText = small.get("manifest.json");
  if (!manifestText) throw new BadInputError("image.tar has no manifest.json: not a docker save archive", "Ask for a new bundle.");
  let images: SavedManifest[];
  try {
    images = JSON.parse(manifestText.toString("utf8")) as SavedManifest[];
  } catch (error) {
    throw new BadInputError(`image.tar's manifest.json is not JSON: ${(error as Error).message}`, "Ask for a new bundle.", {
      cause: error,
    });
  }
  if (!Array.isArray(images) || images.length !== 1) {
    throw new BadInputError(
      `image.tar holds ${Array.isArray(images) ? images.length : "no list of"} images; a bundle holds exactly one`,
      "Ask for a new bundle.",
    );
  }
  const config = images[0]!.Config;
  const configBytes = typeof config === "string" ? small.get(config) : undefined;
  if (!configBytes) throw new BadInputError(`image.tar's config ${String(config)} is missing`, "Ask for a new bundle.");
  const actual = `sha256:${createHash("sha256").update(configBytes).digest("hex")}`;
  if (actual !== expectedId) {
    throw new BadInputError(
      `image.tar holds image ${actual}, but the bundle names ${expectedId}`,
      "The image was swapped; do not use this bundle.",
    );
  }
  const tags = images[0]!.RepoTags;
  // The legacy `repositories` file tags too; docker save by id writes none (or an empty object).
  const repositories = small.get("repositories")?.toString("utf8").trim();
  return {
    repoTags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [],
    hasRepositories: repositories !== undefined && repositories !== "" && repositories !== "{}",
  };
}

/**
 * The archive re-emitted for `docker load` with its tags removed: manifest.json gets RepoTags null
 * and the legacy `repositories` file is dropped, so loading can never take over a tag the reviewer
 * already has (Engine 20.10 silently moves the tag to the loaded image). The image is then run by id.
 */
export function untaggedImageStream(file: string): Readable {
  const out = new PassThrough();
  const writer = new TarWriter(out, 0);
  let chain = Promise.resolve();
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const name = entry.path;
      const size = entry.size ?? 0;
      if (name === "repositories") return entry.resume();
      if (name === "manifest.json") {
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => {
          const images = JSON.parse(Buffer.concat(chunks).toString("utf8")) as SavedManifest[];
          const data = Buffer.from(JSON.stringify(images.map((i) => ({ ...i, RepoTags: null }))));
          chain = chain.then(() => writer.add({ name, source: { kind: "data", data }, mode: 0o644 }).then(() => undefined));
        });
        return;
      }
      // Each entry's bytes must be written before the parser moves on: pause it until they are.
      entry.pause();
      const source =
        entry.type === "Directory"
          ? { kind: "dir" as const }
          : entry.type === "SymbolicLink"
            ? { kind: "symlink" as const, target: entry.linkpath ?? "" }
            : { kind: "stream" as const, stream: entry as unknown as Readable, sizeBytes: size };
      chain = chain.then(async () => {
        await writer.add({ name, source, mode: entry.mode ?? 0o644 });
        if (source.kind !== "stream") entry.resume();
      });
    },
  });
  void pipeline(createReadStream(file), parser)
    .then(() => chain)
    .then(() => writer.finish())
    .then(() => out.end())
    .catch((error: unknown) => out.destroy(error as Error));
  return out;
}
