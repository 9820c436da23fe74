// Where things are inside a bundle's image: pack's Dockerfile puts them there, replay runs them there.

export const APP_DIR = "/app";
export const PRELOAD_DIR = "/opt/mlx";
export const PRELOAD_IN_IMAGE = `${PRELOAD_DIR}/preload.cjs`;
/** The files of the preload, copied from dist/sdk/ into the build context's mlx/. */
export const PRELOAD_FILES = ["preload.cjs", "seeded-random.cjs"];
/** The Python preload (sitecustomize.py) and SDK (mlxrun.py): put first on PYTHONPATH, in dist/sdk/python/ and the image. */
export const PYTHON_PRELOAD_DIR = `${PRELOAD_DIR}/python`;
/** Relative to the folder of the node preload, copied like PRELOAD_FILES for Python runs. */
export const PYTHON_PRELOAD_FILES = ["python/sitecustomize.py", "python/mlxrun.py"];

/** The working folder inside the container for a cwd relative to the repository root. */
export function containerWorkdir(cwd: string): string {
  return cwd === "." ? APP_DIR : `${APP_DIR}/${cwd}`;
}

/** A folder of the container that replay mounts writable: the SDK's metrics file lives there. */
export const MLX_DIR_IN_CONTAINER = "/mlx";
