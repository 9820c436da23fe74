// Loaded into node commands through NODE_OPTIONS=--require by `mlx capture` (and inside replay
// images, from /opt/mlx/): makes Math.random a generator seeded from MLX_SEED, so libraries that
// draw from it (TensorFlow.js initialisers and shuffling, for one) repeat exactly.
import generator = require("./seeded-random.cjs");

const text = process.env["MLX_SEED"];
if (text !== undefined && /^\d{1,10}$/.test(text) && Number(text) <= 0xffffffff) {
  Math.random = generator.seededRandom(Number(text));
}
