"""How much gradient reaches each layer of a network: the diagnosis of a hard-to-train model."""

import numpy as np

from .nn import BatchNorm1D, Dense, all_layers, softmax_cross_entropy


def dense_layers(model):
    """The :class:`~course_utils.nn.Dense` layers of ``model`` from input to output.

    Layers inside a :class:`~course_utils.nn.Residual` block count where the block stands.
    """
    return [layer for layer in all_layers(model) if isinstance(layer, Dense)]


def weight_gradient_norms(model, X, y):
    """‖∂L/∂W‖ (Frobenius norm) of every Dense layer, input to output, for one batch (X, y).

    L is the mean softmax cross-entropy of the batch, computed in training mode (BatchNorm uses
    the batch's statistics, as in a training step). Nothing is updated: not the weights, and
    not BatchNorm's running statistics either. Returns an array with one entry per Dense
    layer; the last is the output layer.
    """
    norms = [layer for layer in all_layers(model) if isinstance(layer, BatchNorm1D)]
    running = [(layer.running_mean, layer.running_var) for layer in norms]
    _, dlogits = softmax_cross_entropy(model.forward(X, training=True), np.asarray(y))
    model.backward(dlogits)
    for layer, (mean, var) in zip(norms, running, strict=True):
        layer.running_mean, layer.running_var = mean, var
    return np.array([np.linalg.norm(layer.grads["W"]) for layer in dense_layers(model)])
