"""The Lambda layers every zip function runs on: the shared leadscoring package and its dependencies."""

from __future__ import annotations

import re
from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import config

PYTHON_JUNK = ["**/__pycache__", "**/*.pyc", "*.egg-info"]


class DependencyLayerMissing(RuntimeError):
    pass


def lambda_runtime() -> lambda_.Runtime:
    name = f"python{config.LAMBDA_PYTHON}"
    for runtime in lambda_.Runtime.ALL:
        if runtime.name == name:
            return runtime
    raise ValueError(f"aws-cdk-lib does not know the Lambda runtime {name}")


def check_dependency_layer(folder: Path = config.DEPS_LAYER_DIR) -> None:
    """Fail early, and say what to run, when the dependency layer is missing or built for another Python."""
    site = folder / "python"
    if not site.is_dir():
        raise DependencyLayerMissing(f"{site} does not exist: run `make layer` to build the dependency layer first")
    wanted = "cpython-" + config.LAMBDA_PYTHON.replace(".", "")
    # Compiled extensions name the interpreter they were built for, e.g. _pydantic_core.cpython-314-x86_64-linux-gnu.so
    tags = {m.group(0) for so in site.glob("*/*.so") if (m := re.search(r"cpython-\d+", so.name))}
    if tags and tags != {wanted}:
        raise DependencyLayerMissing(
            f"{site} holds extensions for {sorted(tags)}, not {wanted} (Makefile LAMBDA_PYTHON changed?): "
            f"run `rm -rf {_shown(folder)} && make layer`"
        )


def _shown(path: Path) -> Path:
    return path.relative_to(config.ROOT) if path.is_relative_to(config.ROOT) else path


class FunctionLayersConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        check_dependency_layer()
        runtime = lambda_runtime()
        self.shared = lambda_.LayerVersion(
            self,
            "SharedLayer",
            description="leadscoring package: schemas, domain logic, data access, handlers",
            code=lambda_.Code.from_asset(str(config.SHARED_LAYER_DIR), exclude=PYTHON_JUNK),
            compatible_runtimes=[runtime],
            compatible_architectures=[lambda_.Architecture.X86_64],
        )
        # Built for manylinux x86_64 by `make layer`; never scikit-learn or scipy (the train image has those).
        self.dependencies = lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            description="Scoring dependencies: Powertools, pydantic, numpy, onnxruntime",
            code=lambda_.Code.from_asset(str(config.DEPS_LAYER_DIR), exclude=[".built-*", *PYTHON_JUNK]),
            compatible_runtimes=[runtime],
            compatible_architectures=[lambda_.Architecture.X86_64],
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.dependencies, self.shared]
