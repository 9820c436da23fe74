// What a Python run's image needs, checked before anything is built: the interpreter and every
// installed distribution must be reproducible (a venv copied as installed, or Debian packages at
// their recorded versions), else pack refuses with exit 2 rather than write a bundle that fails later.

import { posix } from "node:path";
import { isInsideFolder, pythonImageOf, type PythonImage, usedDistributions } from "../bundle/dockerfile.js";
import { BadInputError } from "../errors.js";
import { NOT_PYTHON } from "../facts/probe-python.js";
import type { PythonDistribution, RunManifest } from "../record/types.js";

/** Folders that replay's container mounts over or owns: a venv there would be hidden from the command. */
const HIDDEN_IN_CONTAINER = ["/tmp", "/app", "/mlx", "/opt/mlx", "/proc", "/sys", "/dev"];

/**
 * The Python part of the image, or null for a run that recorded no Python. Refuses (exit 2) what an
 * image cannot reproduce: no interpreter facts, another implementation, an interpreter that is neither
 * a venv nor Debian's, a distribution with no home in the image, or a base image of another version.
 */
export function checkPythonPackable(run: RunManifest, baseImage: string): PythonImage | null {
  // Capture records every run's Python section: a node command's says why it has none.
  if (run.python === undefined || (!run.python.available && run.python.reason === NOT_PYTHON)) return null;
  if (!run.python.available) {
    throw new BadInputError(
      `run ${run.id} ran Python, but its interpreter and packages were not recorded (${run.python.reason})`,
      "Fix what the reason names and capture the run again: pack needs them to rebuild its environment.",
    );
  }
  const python = run.python;
  const image = pythonImageOf(run);
  if (image === null) return null;
  if (python.implementation !== "CPython") {
    throw new BadInputError(
      `run ${run.id} ran ${python.implementation} ${python.version} (${python.executable}): python images hold CPython only`,
      "Capture the run with CPython (a venv made by /usr/bin/python3 -m venv), or pass --base-image with that interpreter installed.",
    );
  }
  const based = baseImagePythonVersion(baseImage);
  if (based !== null && based !== python.version && !python.version.startsWith(`${based}.`)) {
    throw new BadInputError(
      `base image ${baseImage} holds Python ${based}, but the run used ${python.version}: its packages may not load there`,
      `Leave out --base-image (the default is python:${python.version}-slim-bookworm), or name an image of Python ${python.version}.`,
    );
  }
  if (python.environment === "other") {
    throw new BadInputError(
      `run ${run.id} ran ${python.executable}, neither a virtual environment nor Debian's python3: an image cannot reproduce it`,
      `Make a venv from it (${python.executable} -m venv .venv), install the packages there, capture with .venv/bin/python; then pack.`,
    );
  }
  if (python.environment === "system" && !python.interpreterPackage) {
    throw new BadInputError(
      `run ${run.id} ran ${python.executable}, which no Debian package owns: an image cannot reproduce it`,
      "Capture the run with Debian's /usr/bin/python3, or with a venv; then pack.",
    );
  }
  if (image.venv !== null) checkVenvFolder(image.venv);
  // Only what the run imported must have a home: a `pip --user` package it never imported is not needed.
  const homeless = usedDistributions(python).filter((d) => !d.debian && (image.venv === null || !isInsideFolder(d.location, image.venv)));
  if (homeless.length > 0) {
    const names = homeless.map((d) => `${d.name} ${d.version} (${d.location})`).join(", ");
    throw new BadInputError(
      `run ${run.id}: ${names} ${homeless.length === 1 ? "is" : "are"} ` +
        `${image.venv ? "outside the venv and " : ""}owned by no Debian package`,
      image.venv
        ? "Install them into the venv itself (pip install), capture again; then pack."
        : "Install them into a venv (/usr/bin/python3 -m venv .venv; .venv/bin/pip install ...) and capture with .venv/bin/python; " +
            "or install Debian's packages of them (apt-get install python3-...).",
    );
  }
  return image;
}

/**
 * What pack should say about a Python run's image: when the run recorded no list of what it imported
 * (killed before exit, or captured by an older mlx), every Debian package of its Python is installed.
 */
export function pythonPackWarnings(run: RunManifest, image: PythonImage | null): string[] {
  if (image === null || image.debian.length === 0 || !run.python?.available || run.python.imported !== undefined) return [];
  return [
    `run ${run.id} has no list of the Python packages it imported (it did not exit normally, or an older mlx captured it): ` +
      `the image installs all ${image.debian.length} Debian packages of its Python. Capture it again to install only what it imports.`,
  ];
}

/** The Python version an official-style tag names (python:3.11.2-slim-bookworm, .../python:3.11@sha256:...), else null. */
export function baseImagePythonVersion(baseImage: string): string | null {
  const match = /(?:^|\/)python:(\d+\.\d+(?:\.\d+)?)(?:[-@]|$)/.exec(baseImage);
  return match?.[1] ?? null;
}

/** The venv goes into the image at its own path (its scripts name it): that path must be one the container shows. */
function checkVenvFolder(venv: string): void {
  const hidden = HIDDEN_IN_CONTAINER.find((folder) => isInsideFolder(venv, folder));
  if (hidden !== undefined) {
    throw new BadInputError(
      `the venv ${venv} is under ${hidden}, which replay's container mounts over: the command would not find it`,
      "Make the venv somewhere else (e.g. /usr/bin/python3 -m venv ~/venvs/NAME or /var/tmp/NAME), install the packages, capture again.",
    );
  }
  if (!/^(\/[A-Za-z0-9._+@,=-]+)+$/.test(venv) || venv.split("/").includes("..")) {
    throw new BadInputError(
      `the venv's path ${JSON.stringify(venv)} has characters a Dockerfile line cannot carry`,
      "Make the venv at a path of letters, digits and ._+@,=- only, install the packages, capture again.",
    );
  }
}

/**
 * What changed between the recorded distributions and those installed now: "name version (edited)",
 * "(added)", "(removed)" or "name old -> new", sorted by name. Empty when nothing did.
 */
export function compareDistributions(recorded: readonly PythonDistribution[], now: readonly PythonDistribution[]): string[] {
  const key = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, "-");
  const before = new Map(recorded.map((d) => [key(d.name), d]));
  const after = new Map(now.map((d) => [key(d.name), d]));
  const changes: [string, string][] = [];
  for (const [name, was] of before) {
    const is = after.get(name);
    if (!is) changes.push([name, `${was.name} ${was.version} (removed)`]);
    else if (is.version !== was.version) changes.push([name, `${was.name} ${was.version} -> ${is.version}`]);
    else if (is.fingerprint !== was.fingerprint) changes.push([name, `${was.name} ${was.version} (edited)`]);
  }
  for (const [name, is] of after) if (!before.has(name)) changes.push([name, `${is.name} ${is.version} (added)`]);
  return changes.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, line]) => line);
}

/**
 * A venv's pyvenv.cfg for the image: `home` (and `executable`) name the image's interpreter folder
 * instead of the host's, so that the venv's python finds the image's standard library.
 */
export function rewritePyvenvCfg(text: string, pythonDir: string, version: string): string {
  const minor = version.split(".").slice(0, 2).join(".");
  return text
    .split("\n")
    .map((line) => {
      if (/^\s*home\s*=/.test(line)) return `home = ${pythonDir}`;
      if (/^\s*executable\s*=/.test(line)) return `executable = ${posix.join(pythonDir, `python${minor}`)}`;
      return line;
    })
    .join("\n");
}
