"""Load Rasa's TensorFlow models for prediction without a training step.

Rasa 3.6 builds a loaded DIET, ResponseSelector or TED model by *training it on one
example* (``RasaModel.load``: compile with Adam, ``fit`` one batch, then
``load_weights``). That creates the optimizer's two slot variables per weight and
traces the whole training graph, which a server that only predicts never uses: on
this bot ≈ 470–540 MB of the Rasa server's resident memory (README, benchmark
section).

:func:`install` replaces ``RasaModel.load`` for prediction loads only: the model
restores its weights first and creates them in its first prediction on the example
Rasa already passes for warming up, so TensorFlow's object-based checkpoint
restores each weight as it is created; the weights the prediction does not create
(optimizer slots, training-only layers) stay on disk. A load without a prediction
example, or for fine-tuning, goes through Rasa's own code unchanged. The restore is
checked: a weight the prediction created but the checkpoint did not fill raises
instead of predicting with random weights. ``tests/rasa/test_lean_load.py`` shows
that both loads give the same predictions. ``bot.rasa.plugin`` applies it in every
Rasa process we start.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

logger = logging.getLogger(__name__)

_MARK = "_ppa_lean_load"
_rasa_load = RasaModel.load.__func__  # type: ignore[attr-defined]


def lean_load(
    cls: type[RasaModel],
    model_file_name: str,
    model_data_example: RasaModelData,
    predict_data_example: RasaModelData | None = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """``RasaModel.load`` for prediction: restore, then build by predicting once."""
    if finetune_mode or predict_data_example is None:
        return _rasa_load(
            cls,
            model_file_name,
            model_data_example,
            predict_data_example,
            finetune_mode,
            *args,
            **kwargs,
        )
    model = cls(*args, **kwargs)
    # Restoring before the variables exist defers each value until its variable is
    # created; the optimizer's slots are never created, so never read.
    status = model.load_weights(model_file_name)
    model.run_inference(predict_data_example)
    # Every variable the prediction created must have come from the checkpoint.
    status.assert_existing_objects_matched()
    status.expect_partial()  # the optimizer's slots are left out on purpose
    logger.debug("Loaded %s for prediction without a training step.", cls.__name__)
    return model


def installed() -> bool:
    """Whether :func:`install` has replaced ``RasaModel.load`` in this process."""
    return bool(getattr(RasaModel.load, _MARK, False))


def install() -> None:
    """Replace ``RasaModel.load`` with :func:`lean_load`; idempotent."""
    if installed():
        return
    setattr(lean_load, _MARK, True)
    RasaModel.load = classmethod(lean_load)  # type: ignore[assignment,method-assign]


__all__ = ["install", "installed", "lean_load"]
