"""The names the notebooks import from the top of the package."""

import subprocess
import sys


def test_top_level_imports_of_the_contract():
    code = ("from course_utils import f_2d, f_2d_grad, train_1d, train_2d, plot_1d, plot_2d, "
            "OPTIMIZERS, SURFACES, optimizer_explorer, race_explorer, sgd, momentum, nesterov, "
            "adagrad, "
            "rmsprop, adadelta, adam; print(train_2d('adam', steps=2).shape)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(3, 2)"
