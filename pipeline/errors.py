"""One catalogue of the errors samskab raises, each with a code and an actionable message.

Library code raises these (never prints); the CLI turns them into one red line on stderr
and a non-zero exit. Messages say what is wrong, show the bad value and what to do next.
"""

from __future__ import annotations


class SamskabError(Exception):
    """Base class: ``code`` is stable (E001...), ``str(err)`` is the one-line message."""

    code = "E000"
    template = "{detail}"

    def __init__(self, **fields: object) -> None:
        self.fields = fields
        try:
            message = self.template.format(**fields)
        except KeyError:  # a missing field must never hide the real error
            message = f"{self.template} {fields}"
        super().__init__(f"[{self.code}] {message}")


class CodebookError(SamskabError):
    code = "E001"
    template = "Codebook {path}: {detail}"


class ConfigError(SamskabError):
    code = "E002"
    template = "Config {path}: {detail}"


class InputFileError(SamskabError):
    code = "E010"
    template = "{path}: {detail}"


class UnsupportedFileType(SamskabError):
    code = "E011"
    template = "{path}: unsupported file type '{suffix}'. Supported: {supported}."


class EmptyDocumentError(SamskabError):
    code = "E012"
    template = "{path}: {detail}"


class NeedsOCRError(SamskabError):
    code = "E013"
    template = "{path}: the PDF has no text layer ({pages} pages, scanned?). Run OCR first (e.g. `ocrmypdf in.pdf out.pdf`) and ingest the result."


class CorruptFileError(SamskabError):
    code = "E014"
    template = "{path}: cannot be read as {kind}: {detail}"


class EncryptedFileError(SamskabError):
    code = "E015"
    template = "{path}: the {kind} is encrypted; save an unencrypted copy and ingest that."


class UnknownMunicipalityError(SamskabError):
    code = "E016"
    template = "{where}: unknown municipality {value!r}. Use one of the 98 names in data/municipalities.csv (e.g. 'København', 'Aarhus')."


class LabelFileError(SamskabError):
    code = "E020"
    template = "{path}:{line}: {detail}"


class ModelError(SamskabError):
    code = "E030"
    template = "Model {path}: {detail}"


class UntrustedModelError(SamskabError):
    code = "E031"
    template = "Model {path}: refused, {detail}. Only load model folders written by `samskab train`; retrain with `samskab train --out DIR`."


class UnknownNameError(SamskabError):
    code = "E040"
    template = "Unknown {kind} {name!r}. Choose one of: {choices}."


class MissingExtraError(SamskabError):
    code = "E041"
    template = "The {feature} needs the optional extra: pip install 'samskab[{extra}]' ({detail})."


class StoreError(SamskabError):
    code = "E050"
    template = "Store {path}: {detail}"


class DataError(SamskabError):
    code = "E060"
    template = "{detail}"


class OutputFileError(SamskabError):
    code = "E017"
    template = "{path}: cannot write the output here ({detail}). Choose another --out, or fix the folder's permissions or free space."


class BinaryFileError(SamskabError):
    code = "E018"
    template = "{path}: this is not text but {what}; it was not stored. Check that the right file was given the {suffix} name."


class UnsafeFileError(SamskabError):
    code = "E019"
    template = "{path}: refused, {detail}. Open it in Word, remove the excess, save a copy and ingest that."
