import type { TopLevelSpec } from "vega-lite";

/**
 * A Vega-Lite spec as static SVG text, rendered in Node with no canvas and no browser. vega and
 * vega-lite are imported here, on first use, so that other commands never pay for loading them.
 * Vega escapes every text and attribute it writes, so data values cannot break out of the SVG.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vl, vega] = await Promise.all([import("vega-lite"), import("vega")]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
