import { Writable } from "node:stream";
import { checkImageArchive } from "../bundle/image-archive.js";
import type { ImageSink, OpenBundle } from "../bundle/read-bundle.js";
import { untagStream, type UntagStream } from "../bundle/untag-stream.js";
import type { DockerClient } from "../docker/docker-client.js";
import { BadInputError, EnvironmentError } from "../errors.js";
import type { OnProgress } from "../primitives/progress-event.js";

export interface StreamLoadDeps {
  docker: DockerClient;
  step: (line: string) => void;
  /** Told the load's bytes once, when it completes (verify's progress already counts them as they stream). */
  progress?: OnProgress;
}

/**
 * image.tar sent to the engine while the bundle is verified, instead of written out and read back.
 * The engine gets the archive untagged and without its end-of-archive marker: until `finish` lets
 * that out, the engine cannot complete the load, and `abort` cuts the upload so that it loads
 * nothing. `finish` runs only after everything was verified and the image archive checked.
 */
export interface StreamLoad {
  /** For openBundle: takes image.tar when the engine lacks the image (streamed) or has it (hashed only). */
  readonly sink: ImageSink;
  /** What the sink did: nothing yet, image.tar only hashed (the engine had the image), or streamed into a load. */
  readonly mode: () => "none" | "present" | "streaming";
  /** Completes a streamed load of a verified bundle: "present" when the engine has the image from elsewhere by now. */
  finish(opened: OpenBundle): Promise<"present" | "loaded">;
  /** Cuts a load not finished: the engine keeps nothing of it. Safe to call at any time, and again. */
  abort(): Promise<void>;
}

export function streamLoad(deps: StreamLoadDeps): StreamLoad {
  let mode: "none" | "present" | "streaming" = "none";
  let untag: UntagStream | undefined;
  let load: Promise<unknown> = Promise.resolve();
  let settled = false;
  const loaded = new Set<string>();
  let sentBytes = 0;
  const sink: ImageSink = async (manifest) => {
    const id = manifest.image.id;
    if ((await deps.docker.imageId(id)) !== null) {
      mode = "present";
      return new Writable({ write: (_chunk, _encoding, done) => done() }); // hashed on the way, written nowhere
    }
    mode = "streaming";
    const u = untagStream();
    untag = u;
    deps.step(`loading ${manifest.image.file} into the engine as it is verified (any tags stripped; it runs by id)`);
    load = deps.docker.load(
      u.output,
      (bytes) => (sentBytes = bytes),
      (loadedId) => loaded.add(loadedId),
    );
    // A load the engine refuses mid-way stops the bundle's pass at once, with the engine's words.
    load.catch((error: unknown) => {
      if (!settled) u.input.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    return u.input;
  };
  const abort = async (): Promise<void> => {
    if (!untag || settled) return;
    settled = true;
    untag.output.destroy(new Error("image load cut off: the bundle was not used"));
    untag.input.destroy();
    await load.catch(() => undefined);
  };
  return {
    sink,
    mode: () => mode,
    abort,
    async finish(opened) {
      const id = opened.manifest.image.id;
      if (!untag || settled) throw new Error("no streamed load to finish");
      try {
        const { repoTags } = checkImageArchive(opened.imageFiles, id);
        if (repoTags.length > 0) deps.step(`image.tar names images: its tags ${repoTags.join(", ")} stripped; it runs by id`);
      } catch (error) {
        await abort();
        throw error;
      }
      // Loaded by a concurrent replay meanwhile: its load stands, ours is not needed.
      if ((await deps.docker.imageId(id)) !== null) {
        await abort();
        return "present";
      }
      untag.release();
      const step = "loading image";
      deps.progress?.({ step, done: 0 });
      try {
        await load;
        deps.progress?.({ step, done: sentBytes, end: true });
        settled = true;
        if ((await deps.docker.imageId(id)) === null)
          throw new BadInputError(`loading image.tar did not give image ${id}`, "The bundle's image is corrupt; ask for a new bundle.");
      } catch (error) {
        settled = true;
        // The archive was checked to describe only this image, absent when the load began: whatever the engine kept of it goes.
        for (const loadedId of new Set([...loaded, id])) await deps.docker.removeImage(loadedId);
        throw error;
      }
      return "loaded";
    },
  };
}

/** The engine had the image when the bundle was hashed, and image.tar was not kept: it must still be there. */
export async function stillPresent(docker: DockerClient, id: string): Promise<"present"> {
  if ((await docker.imageId(id)) !== null) return "present";
  throw new EnvironmentError(
    `image ${id} left the engine while the bundle was verified (another replay removed it)`,
    "Replay again: the image will be loaded from the bundle.",
  );
}
