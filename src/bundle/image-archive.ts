import { createHash } from "node:crypto";
import { Parser, type ReadEntry } from "tar";
import { posix } from "node:path";
import { BadInputError, describeError } from "../errors.js";

/** Members up to this size are kept in memory by one pass (manifest.json, configs); larger ones only counted. */
export const SMALL_MEMBER_BYTES = 4 * 1024 * 1024;
const SMALL = SMALL_MEMBER_BYTES;

interface SavedManifest {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

/** What one pass over image.tar keeps: its small regular files, and how often each name occurs (any type, any size). */
export interface ImageArchiveFiles {
  files: Map<string, Buffer>;
  counts: Map<string, number>;
  /** The entry type of each name's last occurrence. */
  types: Map<string, string>;
  /** The target of each link member (symbolic or hard), by name. */
  links: Map<string, string>;
  /** Set when the archive could not be parsed. */
  corrupt: boolean;
}

/** A member name as the engine's loader sees it once extracted: "./manifest.json" and "a/../manifest.json" are "manifest.json". */
export function normalizeArchiveName(name: string): string {
  return posix.normalize(`/${name}`).slice(1).replace(/\/+$/, "");
}

/** A parser that keeps the small files of a `docker save` archive (manifest.json, configs) as it streams by. */
export function smallFilesCollector(): { parser: Parser; files: ImageArchiveFiles } {
  const files: ImageArchiveFiles = { files: new Map(), counts: new Map(), types: new Map(), links: new Map(), corrupt: false };
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const name = normalizeArchiveName(entry.path);
      files.counts.set(name, (files.counts.get(name) ?? 0) + 1);
      files.types.set(name, entry.type);
      if (entry.type === "SymbolicLink" || entry.type === "Link") files.links.set(name, entry.linkpath ?? "");
      if ((entry.size ?? 0) > SMALL || entry.type !== "File") return entry.resume();
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => files.files.set(name, Buffer.concat(chunks)));
    },
  });
  // A corrupt image.tar is reported by checkImageArchive, not here.
  parser.on("error", () => (files.corrupt = true));
  return { parser, files };
}

const NEW_BUNDLE = "Do not load this bundle's image; ask its author for a new bundle.";

/** The one link `docker save` writes: a layer stored once and named again by another layer's folder. */
const LAYER_LINK = /^[0-9a-f]{64}\/layer\.tar$/;
const LAYER_TARGET = /^\.\.\/[0-9a-f]{64}\/layer\.tar$/;

/**
 * The engine extracts image.tar before reading it, so a link member can redirect a later member: a
 * link `evil -> .` then `evil/manifest.json` overwrites the manifest mlx checked. Only files, folders
 * and the layer links of docker save's own shape are allowed, and nothing may lie below a link.
 */
function checkArchiveMembers(archive: ImageArchiveFiles): void {
  for (const [name, type] of archive.types) {
    if (type === "File" || type === "OldFile" || type === "Directory") continue;
    const target = archive.links.get(name) ?? "";
    if (type === "SymbolicLink" && LAYER_LINK.test(name) && LAYER_TARGET.test(target)) continue;
    throw new BadInputError(
      `image.tar holds ${type} member ${JSON.stringify(name)}${target ? ` -> ${JSON.stringify(target)}` : ""}, which docker save never writes`,
      NEW_BUNDLE,
    );
  }
  for (const name of archive.types.keys())
    for (const link of archive.links.keys())
      if (name.startsWith(`${link}/`))
        throw new BadInputError(`image.tar holds ${JSON.stringify(name)} below the link ${JSON.stringify(link)}`, NEW_BUNDLE);
}

/**
 * Checks a `docker save` archive before it goes near the engine. The engine keeps the last of two
 * members of one name, so no name may occur twice (a second manifest.json of any size could name
 * tags mlx never saw). There must be exactly one manifest.json, a regular file listing exactly one
 * image whose config's sha256 (the image id) is `expectedId`, and no `repositories` file or OCI
 * index that names anything. RepoTags, when present, are returned for the caller to strip.
 */
export function checkImageArchive(archive: ImageArchiveFiles, expectedId: string): { repoTags: string[] } {
  if (archive.corrupt) throw new BadInputError("image.tar is not a readable tar archive", NEW_BUNDLE);
  for (const [name, count] of archive.counts)
    if (count > 1)
      throw new BadInputError(
        `image.tar holds ${count} members named ${JSON.stringify(name)}; the engine would load the last one, which mlx did not check`,
        NEW_BUNDLE,
      );
  checkArchiveMembers(archive);
  const manifestText = archive.files.get("manifest.json");
  if (!manifestText || archive.types.get("manifest.json") !== "File")
    throw new BadInputError("image.tar has no manifest.json of at most 4 MiB: not a docker save archive", NEW_BUNDLE);
  let images: SavedManifest[];
  try {
    images = JSON.parse(manifestText.toString("utf8")) as SavedManifest[];
  } catch (error) {
    throw new BadInputError(`image.tar's manifest.json is not JSON: ${describeError(error)}`, NEW_BUNDLE, { cause: error });
  }
  if (!Array.isArray(images) || images.length !== 1) {
    throw new BadInputError(
      `image.tar holds ${Array.isArray(images) ? images.length : "no list of"} images; a bundle holds exactly one`,
      NEW_BUNDLE,
    );
  }
  const config = images[0]!.Config;
  const configBytes = typeof config === "string" ? archive.files.get(normalizeArchiveName(config)) : undefined;
  if (!configBytes) throw new BadInputError(`image.tar's config ${String(config)} is missing`, NEW_BUNDLE);
  const actual = `sha256:${createHash("sha256").update(configBytes).digest("hex")}`;
  if (actual !== expectedId) {
    throw new BadInputError(
      `image.tar holds image ${actual}, but the bundle names ${expectedId}`,
      "The image was swapped; do not use this bundle.",
    );
  }
  // The legacy `repositories` file tags too; docker save by id writes none (or an empty object).
  if (archive.counts.has("repositories")) {
    const text = archive.files.get("repositories")?.toString("utf8").trim();
    if (text !== "" && text !== "{}")
      throw new BadInputError("image.tar's repositories file names images: loading it would tag them in your engine", NEW_BUNDLE);
  }
  // Engines that load OCI layouts take names from the index's annotations.
  const index = archive.files.get("index.json")?.toString("utf8");
  if (archive.counts.has("index.json") && (index === undefined || /image\.name|ref\.name/.test(index)))
    throw new BadInputError("image.tar's index.json names images: loading it could tag them in your engine", NEW_BUNDLE);
  const tags = images[0]!.RepoTags;
  return { repoTags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [] };
}
