/** Keys refused wherever a user's data becomes an object: they would reach Object.prototype in a merge. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);
