"""The model zoo: named models with their configs (registry.py) and recipes (recipes.py).

Each zoo model keeps its constructor config (a dataclass) in `model.config`;
`save(model, path)` stores it as JSON metadata next to the weights, and
`load(path)` rebuilds the model from that metadata with no code execution.
"""

from . import recipes
from .recipes import RECIPES, Recipe
from .registry import MODELS, ModelSpec, build, get, list_models, load, save

__all__ = [
    "MODELS", "ModelSpec", "build", "get", "list_models", "load", "save", "recipes", "RECIPES",
    "Recipe",
]
