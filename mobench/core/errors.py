"""One error root for everything a user can cause or fix.

The CLI maps every :class:`MobenchError` to a one-line message and a non-zero
exit code in one place (``mobench.cli.main``); library users catch
``MobenchError``. Messages say what went wrong *and* what to do.
"""

from __future__ import annotations


class MobenchError(Exception):
    """Base class of mobench's user-facing errors."""

    exit_code = 2


class UsageError(MobenchError):
    """Bad input: an unknown name, a malformed option, an unusable path."""


class ModelNotFoundError(UsageError, KeyError):
    """An unknown model or preset name (the message lists close matches)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class CheckpointError(MobenchError):
    """A checkpoint that cannot be read or does not fit the model."""


class ExportError(MobenchError):
    """An export failed (converter error, failed check, output exists)."""


class ArtifactExistsError(ExportError):
    """The export's artifact file is already on disk and ``force`` is off."""


class DeviceError(MobenchError):
    """A device backend is unavailable or failed while timing."""


class StoreError(MobenchError):
    """The results store cannot be read or written (or has a newer schema)."""


class SchemaError(MobenchError):
    """A plan or report that does not match its JSON schema."""


class RegistryError(UsageError):
    """A registry lookup failed: an unknown name (the message lists close matches)."""


def one_line(exc: BaseException, *, with_type: bool | None = None, limit: int = 300) -> str:
    """The first non-empty line of ``exc``'s message, for one-line error texts.

    ``Type: line`` for exceptions that are not :class:`MobenchError` (their type
    is part of the news), the bare line for mobench's own errors (their
    messages are written for users); ``with_type`` overrides that. An empty
    message gives the type name. Never raises.
    """
    if with_type is None:
        with_type = not isinstance(exc, MobenchError)
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not break the error path
        text = ""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) > limit:
        line = line[: limit - 3] + "..."
    name = type(exc).__name__
    if not line:
        return name
    return f"{name}: {line}" if with_type else line
