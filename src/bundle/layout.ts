// The members of bundle.tar: the one contract between pack, which writes them, and replay, which reads them.

/** bundle.yaml (kind Bundle): what the bundle holds and how replay runs it. */
export const BUNDLE_MANIFEST = "bundle.yaml";
/** Written last: the sha256 of every other member, one "<sha256>  <name>" line each. */
export const SUMS = "SHA256SUMS";
/** Written after SHA256SUMS by `mlx pack --sign`: an SSH signature (ssh-keygen -Y sign) over SHA256SUMS's bytes. */
export const SUMS_SIGNATURE = "SHA256SUMS.sig";
/** `docker save` of the image; absent from a bundle packed with --no-image. */
export const IMAGE_ARCHIVE = "image.tar";
/** The build context (Dockerfile, preload, code, vendored dependencies). */
export const CONTEXT_DIR = "context";
/** The declared inputs, by their path in the repository; mounted read-only by replay. */
export const DATA_DIR = "data";

/** records/runs/<id>/: a run's record folder inside the bundle. */
export function runRecordMember(runId: string): string {
  return `records/runs/${runId}`;
}

/** records/groups/<id>/: a search group's record folder inside the bundle. */
export function groupRecordMember(groupId: string): string {
  return `records/groups/${groupId}`;
}
