/**
 * Whether a process of this id exists (signal 0 probes without sending anything); EPERM means it
 * exists but is another user's. Anything that is not a positive integer is not a process: kill(0)
 * would probe our own process group.
 */
export function processAlive(pid: unknown): boolean {
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
