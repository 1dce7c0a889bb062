"""The inputs a measurement of a user model feeds: the model's own, or the ones fixed with ``--input`` / ``--input-data``.

A user model's inputs are read from the model (:mod:`mobench.models.artifact`,
:mod:`mobench.models.user`). :func:`choose` applies the user's
:class:`~mobench.core.inputs.InputChoice` with :func:`mobench.core.inputs.resolve`'s rules;
when the result is not the model's default, the measurement gets its own name,
``model.onnx@<sha>+x=1x3x640x640`` (``+data=<sha256[:10]>`` for an ``.npz``), recorded
in the user-model index with its inputs and its complexity at that shape. Since the
name is what the store, tables, ``analyze``, plots and ``compare`` key on, two shapes
of one model are two measurements everywhere, and a stored run is reused only at the
same shape.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.errors import UsageError
from ..core.inputs import InputChoice, Inputs, InputSpec, load_npz, resolve, spec
from ._user_index import UserModel, is_user_key, lookup, remember


def declared(key: str) -> list[InputSpec]:
    """The inputs the model declares (of the base model for a chosen-inputs name)."""
    um = lookup(key)
    if um.base:
        um = lookup(um.base)
    if um.inputs:
        return [InputSpec.from_dict(d) for d in um.inputs]
    shape = um.input.get("shape") if um.input else None
    if shape:
        return [spec(um.input.get("name") or "x", shape, um.input.get("dtype") or "float32")]
    if um.kind == "factory":
        return [spec("x", [1, 3, um.input_size, um.input_size])]
    return []


def inputs_of(key: str) -> Inputs:
    """The resolved inputs a run of ``key`` feeds (UsageError, one line, when a free dim is left)."""
    um = lookup(key)
    if um.chosen:
        return Inputs.from_dict(um.chosen)
    return resolve(um.label, declared(key))


def choose(key: str, choice: InputChoice | None) -> str:
    """The name of ``key`` measured with ``choice`` (``key`` itself for the model's default inputs).

    Also checks that a model without a choice has no free dim left (one line listing
    every input and an ``--input`` line to copy). Registered models take no ``--input``.
    """
    choice = choice or InputChoice()
    if not is_user_key(key):
        if not choice.empty:
            raise UsageError(
                f"{key} is a registered model (input 1x3x224x224): --input / --input-data apply to model files "
                "and factories; time another size of it with --device-option resolution=S (torch)"
            )
        return key
    um = lookup(key)
    base = lookup(um.base) if um.base else um
    data, info = (None, None)
    if choice.data_path is not None:
        data, info = load_npz(choice.data_path)
    if choice.empty and um.chosen:
        return key  # a chosen-inputs name given again
    inputs = resolve(base.label, declared(base.key), choice.overrides, data, info)
    if inputs.default:
        return base.key
    return _remember_chosen(base, inputs).key


def _remember_chosen(base: UserModel, inputs: Inputs) -> UserModel:
    key = f"{base.key}+{inputs.label()}"
    first = inputs.specs[0] if inputs.specs else None
    shape = list(first.shape) if first is not None else []
    size = int(shape[2]) if len(shape) == 4 and shape[2] is not None and shape[2] == shape[3] else base.input_size
    macs, note = base.macs, base.macs_note
    if base.kind == "artifact" and base.format == "onnx" and base.path:
        from .artifact import onnx_counts

        macs, note = onnx_counts(base.path, inputs)
    elif base.kind == "factory":
        macs, note = None, ""  # counted at this shape by model_complexity, through the factory
    um = replace(
        base,
        key=key,
        base=base.key,
        chosen=inputs.to_dict(),
        input_size=size,
        input={"name": first.name, "shape": shape, "dtype": first.dtype, "kind": first.kind} if first else {},
        macs=macs,
        macs_note=note,
    )
    return remember(um)


def choose_all(names: list[str], choice: InputChoice | None) -> tuple[list[str], list[str]]:
    """:func:`choose` for every model: ``(names, notes)``, the notes saying what was fixed by rule (batch 1)."""
    out = [choose(n, choice) for n in names]
    return out, input_notes(out)


def input_notes(names: list[str]) -> list[str]:
    """What a rule fixed in the inputs of ``names`` (a free batch set to 1), one sentence each."""
    notes = []
    for k in names:
        if is_user_key(k):
            notes += [f"{lookup(k).label}: {note}" for note in inputs_of(k).notes]
    return notes


def single_image(inputs: Inputs) -> bool:
    """Whether ``inputs`` are the zoo's form: one ``1x3xSxS`` float32 tensor (exported as ``input``)."""
    if len(inputs.specs) != 1 or inputs.data is not None:
        return False
    s = inputs.specs[0]
    shape = s.shape
    return len(shape) == 4 and shape[:2] == (1, 3) and shape[2] == shape[3] and s.dtype == "float32"


def export_inputs(key: str) -> Inputs | None:
    """The inputs a factory is exported with, by name, shape and dtype; None for the zoo's one
    ``1x3xSxS`` float32 input (exported as ``input`` at resolution S, as every registered model)."""
    if not is_user_key(key) or lookup(key).kind != "factory":
        return None
    inputs = inputs_of(key)
    return None if single_image(inputs) else inputs


def export_size(key: str) -> int:
    """The square size S a factory is exported at: S of its one ``1x3xSxS`` float32 input, else the
    size it declares (a factory of other inputs is exported with them, :func:`export_inputs`)."""
    um = lookup(key)
    inputs = inputs_of(key)
    if single_image(inputs):
        return int(inputs.specs[0].shape[2] or um.input_size)
    return um.input_size
