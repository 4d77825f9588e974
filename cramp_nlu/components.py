"""Rasa NLU components over the project's spaCy pipeline."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from cramp_nlu.pipeline import ensure_pipeline, pipeline_path

# Role given to an entity the person said they do NOT have ("no swelling").
# Slot mappings without a role never pick these up.
ABSENT_ROLE = "absent"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="KnowledgeBaseSpacyNLP",
)
class KnowledgeBaseSpacyNLP(SpacyNLP):
    """SpacyNLP that loads (building it first if needed) the project's pipeline.

    The default `model` is the content-hashed directory for the current
    vocabulary, so the path, and with it Rasa's cache key, changes whenever
    the vocabulary does.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**SpacyNLP.get_default_config(), "model": str(pipeline_path())}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeBaseSpacyNLP:
        if config.get("model") == str(pipeline_path()):
            ensure_pipeline()
        return super().create(config, model_storage, resource, execution_context)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class KnowledgeBaseEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Entities from the vocabulary's EntityRuler, with canonical term ids as values.

    An entity NegEx marks as negated keeps its type but gets the role
    `absent`, so "no swelling" can never fill a slot meant for findings.
    """

    @staticmethod
    def required_components() -> list[type]:
        return [KnowledgeBaseSpacyNLP]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeBaseEntityExtractor:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                continue
            entities = [
                {
                    "entity": ent.label_,
                    "value": ent.ent_id_,
                    "start": ent.start_char,
                    "end": ent.end_char,
                    "confidence_entity": 1.0,
                    "extractor": self.__class__.__name__,
                    **({"role": ABSENT_ROLE} if ent._.negex else {}),
                }
                for ent in doc.ents
            ]
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages
