import type { ContainerCreateOptions } from "dockerode";
import { BadInputError } from "../errors.js";
import type { ContainerSpec } from "./docker-client.js";

/** The user every replay runs as: nobody, never root. */
export const REPLAY_USER = "65534:65534";

/** /tmp is the only writable place besides the mounts: no programs run from it, no setuid, no devices. */
export const TMPFS_OPTIONS = "rw,noexec,nosuid,nodev,size=1g";

/**
 * The engine's create request for a replay container: the bundle's code is untrusted, so every
 * capability is dropped, privileges cannot be regained, the root filesystem is read-only, it runs as
 * nobody, without a network unless asked, within the reviewer's pid, memory (no swap beyond it) and
 * CPU limits, and GPUs only when asked.
 */
export function renderContainerConfig(spec: ContainerSpec): ContainerCreateOptions {
  const [entrypoint, ...args] = spec.argv;
  if (entrypoint === undefined) throw new Error("a container spec needs a command");
  return {
    Image: spec.imageId,
    // An explicit entrypoint: the image's own ENTRYPOINT never runs first.
    Entrypoint: [entrypoint],
    Cmd: args,
    WorkingDir: spec.workdir,
    User: REPLAY_USER,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: spec.labels,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    NetworkDisabled: !spec.network,
    HostConfig: {
      NetworkMode: spec.network ? "bridge" : "none",
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      ReadonlyRootfs: true,
      Privileged: false,
      Tmpfs: { "/tmp": TMPFS_OPTIONS },
      Binds: [...spec.binds],
      PidsLimit: spec.pidsLimit,
      // Caps every file the container writes, on its mounts too: the host's disk is not the bundle's.
      Ulimits: [{ Name: "fsize", Soft: spec.fileSizeBytes, Hard: spec.fileSizeBytes }],
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes,
      NanoCpus: Math.round(spec.cpus * 1e9),
      ...(spec.gpus === null
        ? {}
        : { DeviceRequests: [{ Driver: "", Count: spec.gpus === "all" ? -1 : spec.gpus, Capabilities: [["gpu"]] }] }),
    },
  };
}

/**
 * The engine's words when a container could not start because its command is not in the image (runc:
 * `exec: "x": executable file not found in $PATH`, or "no such file or directory" for a path): the
 * bundle asks for a program its own image lacks, so it is bad input (exit 2). Null for any other failure.
 */
export function startFailure(message: string, command: string): BadInputError | null {
  if (!/executable file not found|exec: .*no such file or directory|exec format error/i.test(message)) return null;
  return new BadInputError(
    `the bundle's command ${JSON.stringify(command)} is not in its image`,
    "The bundle is inconsistent: ask its author to pack it again.",
  );
}
