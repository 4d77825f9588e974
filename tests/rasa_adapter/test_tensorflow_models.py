"""The trained model, loaded the quick way (rasa_adapter.tensorflow_models.TracesOnlyPredictionOnLoad),
predicts exactly what it predicts when Rasa loads it its own way, and traces no
training graph."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET
from rasa.shared.nlu.training_data.loading import load_data

from cramp_nlu.components import QuickLoadingDIETClassifier, RetrievalIntentResponseSelector
from knowledge_base.db import PROJECT_ROOT

HOLDOUT = PROJECT_ROOT / "tests" / "nlu" / "holdout.yml"


def tensorflow_models(agent) -> dict[str, Any]:
    nodes = agent.processor.graph_runner._instantiated_nodes
    return {type(node._component).__name__: node._component.model
            for node in nodes.values() if hasattr(node._component, "model")}


def predictions(agent, texts: list[str]) -> list[dict[str, Any]]:
    async def parse_all() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return [{
        "intents": [(i["name"], round(i["confidence"], 5)) for i in parsed["intent_ranking"]],
        "entities": [(e["entity"], e["value"], e.get("role"), e["extractor"]) for e in parsed["entities"]],
        "faq": {key: (value["response"]["intent_response_key"], round(value["response"]["confidence"], 5))
                for key, value in parsed.get("response_selector", {}).items() if key != "all_retrieval_intents"},
    } for parsed in asyncio.run(parse_all())]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [example.get("text") for example in load_data(str(HOLDOUT)).intent_examples]


@pytest.fixture(scope="module")
def quick_agent(trained_model):
    from rasa.core.agent import Agent

    return Agent.load(str(trained_model))


def test_the_models_load_without_a_training_graph(quick_agent) -> None:
    models = tensorflow_models(quick_agent)
    assert set(models) == {"QuickLoadingDIETClassifier", "RetrievalIntentResponseSelector"}
    for model in models.values():
        # Keras keeps a plain function when the fit ran eagerly, a traced one otherwise.
        assert type(model.train_function).__name__ == "function"
        assert model.run_eagerly is False  # predictions still run through a traced graph


def test_predictions_equal_those_of_rasas_own_loading(quick_agent, trained_model, texts, monkeypatch) -> None:
    from rasa.core.agent import Agent

    monkeypatch.setattr(QuickLoadingDIETClassifier, "model_class", staticmethod(lambda: DIET))
    monkeypatch.setattr(RetrievalIntentResponseSelector, "model_class",
                        staticmethod(lambda use_text_as_label: DIET2DIET if use_text_as_label else DIET2BOW))
    rasa_loaded = Agent.load(str(trained_model))
    rasa_models = tensorflow_models(rasa_loaded).values()
    assert {type(model).__name__ for model in rasa_models} == {"DIET", "DIET2BOW"}
    assert all(type(model.train_function).__name__ != "function" for model in rasa_models)  # what we avoid

    assert predictions(quick_agent, texts) == predictions(rasa_loaded, texts)
