"""A scikit-learn classifier on the digits data set that ships with scikit-learn (no download).

It draws from numpy's global generator without seeding it: the split and the model's random_state
both come from np.random. Under `mlx capture` the Python preload seeds numpy from MLX_SEED, so two
captures with one seed give the same accuracy and another seed gives another.
"""
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier

try:  # mlx's SDK: importable under `mlx capture` and in a replay image
    from mlxrun import params as mlx_params
except ImportError:
    def mlx_params():
        return {}

params = mlx_params()
trees = int(params.get("trees", 20))
test_fraction = float(params.get("test_fraction", 0.25))

digits = load_digits()
order = np.random.permutation(len(digits.target))
cut = int(len(order) * (1 - test_fraction))
train, test = order[:cut], order[cut:]

model = RandomForestClassifier(n_estimators=trees, max_depth=6, random_state=np.random.randint(0, 2**31 - 1))
model.fit(digits.data[train], digits.target[train])
accuracy = float(model.score(digits.data[test], digits.target[test]))

print("train_size=%d" % len(train))
print("accuracy=%.6f" % accuracy)
