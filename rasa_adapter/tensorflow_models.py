"""Rasa's TensorFlow models (DIET, and the ResponseSelector's two), loaded
without tracing their training graph. The components in `cramp_nlu` use
these model classes (`model_class()`, Rasa's own hook for it)."""

from __future__ import annotations

from typing import Any

from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET
from rasa.utils.tensorflow.constants import RUN_EAGERLY
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel


class TracesOnlyPredictionOnLoad:
    """Loads a Rasa TensorFlow model without tracing its training graph.

    Rasa builds a loaded model's variables by fitting it on one example and
    then overwrites them with the trained weights. It runs that fit as a traced
    TensorFlow graph, gradients and all, which made the Rasa server's start
    much slower and larger (bench/results/history.md) for a graph that is
    never used again. Here the fit runs
    eagerly; only the prediction graph is traced, as before. The weights, and
    so the predictions, are the same. Fine-tuning (`rasa train --finetune`)
    trains the loaded model further, so it loads the model Rasa's own way.
    """

    @classmethod
    def load(
        cls,
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: RasaModelData | None = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode:
            return super().load(  # type: ignore[misc]
                model_file_name, model_data_example, predict_data_example, True, *args, **kwargs)
        config = kwargs["config"]
        kwargs["config"] = {**config, RUN_EAGERLY: True}
        model = super().load(model_file_name, model_data_example, None, False, *args, **kwargs)  # type: ignore[misc]
        model.config[RUN_EAGERLY] = config[RUN_EAGERLY]
        model.run_eagerly = config[RUN_EAGERLY]
        if predict_data_example:
            # Trace the prediction graph now rather than on the first message.
            model.run_inference(predict_data_example)
        return model


class QuickLoadingDIET(TracesOnlyPredictionOnLoad, DIET):
    """DIET's model, loaded without tracing its training graph."""


class QuickLoadingDIET2BOW(TracesOnlyPredictionOnLoad, DIET2BOW):
    """The ResponseSelector's default model, loaded without tracing its training graph."""


class QuickLoadingDIET2DIET(TracesOnlyPredictionOnLoad, DIET2DIET):
    """The ResponseSelector's text-as-label model, loaded without tracing its training graph."""
