"""Offline speech: eSpeak NG, from the ``espeakng-loader`` wheel or Debian's ``espeak-ng``.

Two engines speak the same way (eSpeak NG's formant synthesiser, its voices and variants):

- :class:`LibraryEngine` loads ``libespeak-ng`` and its data from the ``espeakng-loader`` wheel
  (``pip install espeakng-loader``, in the ``site`` extra): nothing but PyPI needed;
- :class:`CommandEngine` runs the ``espeak-ng`` program (``apt-get install espeak-ng``).

:func:`find_engine` returns the first that is installed, or raises :class:`EngineMissing`
saying how to install one. Both return mono float32 samples in ``[-1, 1]``.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = [
    "ENGINES",
    "PRONUNCIATIONS",
    "CommandEngine",
    "EngineMissing",
    "LibraryEngine",
    "SpeechEngine",
    "Voice",
    "find_engine",
    "spoken_form",
]

#: How eSpeak should say the course's jargon (applied to the speech only, never the transcript).
PRONUNCIATIONS: dict[str, str] = {
    "PReLU": "pee ray-loo",
    "ReLUs": "ray-loos",
    "ReLU": "ray-loo",
    "GELU": "jee-loo",
    "ELU": "ee-loo",
    "XOR": "ex-or",
    "tanh": "tanch",
    "softmax": "soft-max",
    "Softmax": "soft-max",
    "logits": "lodge-its",
    "logit": "lodge-it",
    "MSE": "M S E",
    "i.e.": "that is",
    "e.g.": "for example",
}


@dataclass(frozen=True)
class Voice:
    """An eSpeak NG voice and its settings.

    Attributes
    ----------
    name : str
        Voice and variant, e.g. ``"en-us+m3"`` (American English, male variant 3).
    pitch : int
        Base pitch, 0-99 (eSpeak's default 50).
    rate : int
        Speaking rate setting in words per minute (eSpeak's default 175).
    """

    name: str
    pitch: int = 50
    rate: int = 160

    def settings(self) -> dict[str, Any]:
        """The settings as a dict (part of an episode's build key)."""
        return asdict(self)


def spoken_form(text: str, lexicon: dict[str, str] | None = None) -> str:
    """``text`` with the jargon respelled for the speech engine.

    Parameters
    ----------
    text : str
    lexicon : dict, optional
        Whole-word replacements; default :data:`PRONUNCIATIONS`.

    Returns
    -------
    str
    """
    lexicon = PRONUNCIATIONS if lexicon is None else lexicon
    for word, said in lexicon.items():
        text = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", said, text)
    return text


class EngineMissing(RuntimeError):
    """No speech engine is installed; the message says how to install one."""


class SpeechEngine(Protocol):
    """What the podcast needs from a speech engine."""

    name: str
    version: str
    sample_rate: int

    def speak(self, text: str, voice: Voice) -> np.ndarray:
        """Mono float32 samples of ``text`` spoken by ``voice``."""
        ...


# eSpeak NG's C API (speak_lib.h)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _PITCH = 1, 3
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class LibraryEngine:
    """eSpeak NG's library from the ``espeakng-loader`` wheel, called through ctypes.

    Raises
    ------
    EngineMissing
        If the wheel is not installed or its library does not load.
    """

    name = "espeak-ng (espeakng-loader)"

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ModuleNotFoundError:
            raise EngineMissing("the espeakng-loader wheel is not installed") from None
        try:
            self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as err:
            raise EngineMissing(f"libespeak-ng from espeakng-loader does not load: {err}") from None
        data = espeakng_loader.get_data_path().encode()
        self._lib.espeak_Initialize.restype = ctypes.c_int
        self.sample_rate = int(self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0))
        if self.sample_rate <= 0:
            raise EngineMissing(f"espeak_Initialize failed ({self.sample_rate})")
        self._lib.espeak_Info.restype = ctypes.c_char_p
        self.version = (self._lib.espeak_Info(None) or b"?").decode()
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # keep a reference: C holds only a pointer
        self._lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def speak(self, text: str, voice: Voice) -> np.ndarray:
        """Synthesise ``text`` with ``voice``; returns float32 samples at :attr:`sample_rate`."""
        if self._lib.espeak_SetVoiceByName(voice.name.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice.name!r}")
        for param, value in ((_RATE, voice.rate), (_PITCH, voice.pitch)):
            self._lib.espeak_SetParameter(param, int(value), 0)
        self._chunks = []
        data = text.encode("utf-8")
        status = self._lib.espeak_Synth(
            data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        self._lib.espeak_Synchronize()
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed with status {status}")
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return (samples.astype(np.float32) / 32768.0).astype(np.float32)


class CommandEngine:
    """The ``espeak-ng`` program (Debian's package), one process per turn.

    Raises
    ------
    EngineMissing
        If ``espeak-ng`` is not on ``PATH``.
    """

    name = "espeak-ng (command)"

    def __init__(self, program: str = "espeak-ng") -> None:
        path = shutil.which(program)
        if path is None:
            raise EngineMissing(f"no {program!r} program on PATH")
        self._program = path
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
        found = re.search(r"(\d+\.\d+[.\d]*)", out.stdout)
        self.version = found.group(1) if found else "?"
        self.sample_rate = 22050

    def speak(self, text: str, voice: Voice) -> np.ndarray:
        """Synthesise ``text`` with ``voice``; returns float32 samples at :attr:`sample_rate`."""
        import soundfile

        with tempfile.TemporaryDirectory(prefix="course-tts-") as tmp:
            wav, txt = Path(tmp) / "turn.wav", Path(tmp) / "turn.txt"
            txt.write_text(text, encoding="utf-8")
            cmd = [self._program, "-v", voice.name, "-p", str(voice.pitch), "-s", str(voice.rate)]
            cmd += ["-b", "1", "-f", str(txt), "-w", str(wav)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0 or not wav.is_file():
                raise RuntimeError(f"espeak-ng failed ({done.returncode}): {done.stderr.strip()}")
            samples, rate = soundfile.read(wav, dtype="float32")
        self.sample_rate = int(rate)
        return samples if samples.ndim == 1 else samples.mean(axis=1)


#: The engines :func:`find_engine` tries, in order.
ENGINES = {"library": LibraryEngine, "command": CommandEngine}


def find_engine(name: str | None = None) -> SpeechEngine:
    """The first installed speech engine (or the one named).

    Parameters
    ----------
    name : str, optional
        ``"library"`` (the ``espeakng-loader`` wheel) or ``"command"`` (``espeak-ng``).

    Returns
    -------
    SpeechEngine

    Raises
    ------
    EngineMissing
        With the install commands, when none (or not the named one) is available.
    """
    if name is not None and name not in ENGINES:
        raise ValueError(f"unknown speech engine {name!r}; choose from {sorted(ENGINES)}")
    reasons = []
    for key, engine in ENGINES.items():
        if name in (None, key):
            try:
                return engine()
            except EngineMissing as err:
                reasons.append(f"{key}: {err}")
    raise EngineMissing(
        "the podcast needs the offline speech engine eSpeak NG: pip install espeakng-loader "
        "(or pip install -e '.[site]'), or apt-get install espeak-ng (" + "; ".join(reasons) + ")"
    )
