"""Greedy layer-wise supervised pre-training (朱明超《深度模型中的优化》 §6).

A deep network is hard to train as a whole; a network with one hidden layer is easy. So build
the deep one a layer at a time, each stage a shallow network on a fixed input:

* stage 1 trains  x → Dense₁ → f → Dense_out  (a fresh output layer);
* stage k keeps Dense₁ … Dense_(k−1) as they are, computes their output h once, and trains
  h → Dense_k → f → Dense_out  on it (another fresh output layer);
* the result is  Dense₁ → f → … → Dense_L → f → Dense_out  with the last stage's output layer,
  which :func:`course_utils.nn.train` then fine-tunes as a whole.

Each stage is solved on its own ("greedy"); only fine-tuning optimises all layers jointly.
"""

import numpy as np

from . import checks
from .nn import MLP, Activation, Dense, train


def greedy_pretrain(sizes, x_train, y_train, activation="sigmoid", init="glorot_uniform",
                    rng=None, epochs=1, optimizer="sgd", batch_size=64, seed=0,
                    progress=False, dtype=np.float32, **hyperparams):
    """Pre-train the network ``sizes`` (as in :func:`~course_utils.nn.make_mlp`) layer by layer.

    Every stage trains for ``epochs`` epochs with ``optimizer`` and ``hyperparams`` (through
    :func:`~course_utils.nn.train`, batch order from ``seed`` + stage). Weights are drawn from
    ``np.random.default_rng(rng)`` in the order of the layers of ``make_mlp(sizes, ...)`` with
    each stage's output layer drawn after its hidden layer. Returns ``(model, histories)``: the
    assembled :class:`~course_utils.nn.MLP` and one ``train`` history per stage.
    """
    sizes = [checks.whole("sizes", n, low=1) for n in sizes]
    if len(sizes) < 3:
        raise ValueError(f"sizes must name an input, at least one hidden layer and an output, "
                         f"got {sizes}")
    epochs = checks.whole("epochs", epochs, low=1)
    rng = np.random.default_rng(rng)
    x_train = np.asarray(x_train, dtype=dtype)
    hidden, histories = [], []
    features = x_train  # the output of the layers trained so far, fixed during a stage
    for stage, (n_in, n_out) in enumerate(zip(sizes[:-2], sizes[1:-1], strict=True)):
        layer = Dense(n_in, n_out, init, rng, dtype)
        output = Dense(n_out, sizes[-1], init, rng, dtype)
        shallow = MLP([layer, Activation(activation), output])
        label = f"stage {stage + 1}" if progress is True else progress
        histories.append(train(shallow, features, y_train, optimizer=optimizer, epochs=epochs,
                               batch_size=batch_size, seed=seed + stage, progress=label,
                               **hyperparams))
        hidden += [layer, Activation(activation)]
        features = MLP(shallow.layers[:2]).forward(features, training=False)
    return MLP(hidden + [output]), histories
