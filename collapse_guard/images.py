"""Offline provenance markers in image files (C2PA, IPTC digital source type, generator metadata).

A marker is metadata that an image generator, or a content-credentials signer, wrote into the
file. Presence is strong evidence that the image was machine-generated; absence proves nothing,
because every one of these markers is removed by re-encoding, screenshots or social-media
uploads (docs/scan.md, "Images"). Nothing here validates a C2PA signature: that needs the signer's
certificate chain and trust lists (the optional ``c2pa-python`` package).

Pillow identifies the image and exposes EXIF, XMP, JPEG APPn segments and PNG text chunks. PNG
chunks that Pillow skips (``caBX``, text chunks after the image data) are found by walking the
chunk headers, which reads only a few bytes per chunk and never decodes pixels.
"""

from __future__ import annotations

import math
import re
import struct
import warnings
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from PIL import Image

# Pillow loads when an image is read, not when a reporter imports MARKERS from here.

__all__ = [
    "GENERATOR_SOFTWARE",
    "IMAGE_SUFFIXES",
    "MARKERS",
    "ImageMarkers",
    "ImageSummary",
    "read_image_markers",
    "summarize_images",
]

IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff")

#: Marker name -> what it means. Every name except ``c2pa`` says the image was generated.
MARKERS: Mapping[str, str] = {
    "c2pa": "C2PA manifest present (JPEG APP11/JUMBF or PNG caBX); says who signed, not how made",
    "iptc-trained-algorithmic-media": "IPTC DigitalSourceType trainedAlgorithmicMedia (XMP or C2PA)",
    "iptc-composite-trained-algorithmic-media": (
        "IPTC DigitalSourceType compositeWithTrainedAlgorithmicMedia (XMP or C2PA)"
    ),
    "sd-parameters": "PNG text 'parameters' with generation settings (Stable Diffusion web UIs)",
    "comfyui": "PNG text 'prompt' or 'workflow' holding a ComfyUI node graph",
    "invokeai": "PNG text 'invokeai_metadata', 'sd-metadata' or 'Dream' (InvokeAI)",
    "novelai": "PNG text Software='NovelAI' or a NovelAI generation Comment",
    "exif-software-generator": "EXIF Software names an image generator",
    "exif-usercomment-parameters": "EXIF UserComment holds generation parameters",
}

#: Case-insensitive substrings of EXIF/PNG ``Software`` values written by image generators.
#: Data, not code: extend it as generators are verified. The commercial entries follow public
#: reports and have not been checked against files from those services (docs/scan.md, "Images").
GENERATOR_SOFTWARE: tuple[str, ...] = (
    "novelai",
    "stable diffusion",
    "automatic1111",
    "comfyui",
    "invokeai",
    "fooocus",
    "swarmui",
    "draw things",
    "easy diffusion",
    "midjourney",
    "dall-e",
    "dall·e",
    "adobe firefly",
)

# Text chunks larger than this are read only up to the cap: every marker is recognisable from
# its first bytes, and a hostile file must not make us allocate its declared chunk length.
_TEXT_CAP = 1 << 20
_MAX_CHUNKS = 100_000
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IPTC_RE = re.compile(r"digitalsourcetype/(trainedAlgorithmicMedia|compositeWithTrainedAlgorithmicMedia)\b")
_IPTC_MARKER = {
    "trainedAlgorithmicMedia": "iptc-trained-algorithmic-media",
    "compositeWithTrainedAlgorithmicMedia": "iptc-composite-trained-algorithmic-media",
}
_A1111_FIELDS = ("Steps:", "Sampler:", "CFG scale:", "Seed:", "Negative prompt:")
_EXIF_SOFTWARE = 0x0131
_EXIF_IFD = 0x8769
_EXIF_USER_COMMENT = 0x9286


@dataclass(frozen=True, slots=True)
class ImageMarkers:
    """Provenance markers found in one image file.

    Attributes
    ----------
    path
        The file, as given.
    format
        Pillow's format name (``"PNG"``, ``"JPEG"``...), or None when the file is not an image.
    markers
        Marker names (keys of ``MARKERS``) found, sorted.
    details
        Marker name -> short quote of what was found (at most 120 characters).
    error
        Why the file could not be read, or None.
    """

    path: str
    format: str | None
    markers: tuple[str, ...] = ()
    details: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def generated(self) -> bool:
        """True when a marker says the image was generated (a bare C2PA manifest does not)."""
        return any(m != "c2pa" for m in self.markers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "markers": list(self.markers),
            "details": dict(self.details),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class ImageSummary:
    """Marker counts over a set of images.

    Attributes
    ----------
    images
        Images read without error.
    unreadable
        Files that could not be read as images.
    counts
        Marker name -> number of images carrying it.
    with_generator_marker
        Images carrying at least one generator marker (any marker but a bare ``c2pa``).
    share, interval
        ``with_generator_marker / images`` and its 95% Wilson score interval (Wilson 1927),
        None when no image was readable. It is a lower bound on the generated share, because
        markers are easily stripped.
    """

    images: int
    unreadable: int
    counts: Mapping[str, int]
    with_generator_marker: int
    share: float | None
    interval: tuple[float, float] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "unreadable": self.unreadable,
            "counts": dict(self.counts),
            "with_generator_marker": self.with_generator_marker,
            "share": self.share,
            "interval": None if self.interval is None else list(self.interval),
        }


def read_image_markers(path: str | Path) -> ImageMarkers:
    """Read the provenance markers of one image file without decoding its pixels.

    Parameters
    ----------
    path
        An image file (PNG, JPEG, WebP, TIFF; anything Pillow identifies).

    Returns
    -------
    ImageMarkers
        Markers found; ``error`` is set (and ``format`` may be None) when the file cannot be read.
        This function never raises for a bad file.

    Notes
    -----
    Markers and where they live (docs/scan.md, "Images"): C2PA (ISO/IEC 19566-5 JUMBF in JPEG APP11
    segments, PNG ``caBX`` chunk), the IPTC Digital Source Type vocabulary
    (``http://cv.iptc.org/newscodes/digitalsourcetype/``), and the PNG text keys and EXIF fields
    written by Stable Diffusion web UIs, ComfyUI, InvokeAI and NovelAI.
    """
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    found: dict[str, str] = {}
    try:
        with warnings.catch_warnings():
            # A huge declared size only matters when decoding pixels, which we never do.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                fmt = im.format
                _from_pillow(im, found)
        if fmt == "PNG":
            with p.open("rb") as fh:
                _from_png_chunks(fh, found)
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        return ImageMarkers(str(path), None, error=f"not a readable image: {_one_line(exc)}")
    except OSError as exc:
        return ImageMarkers(str(path), None, error=f"cannot read: {_one_line(exc)}")
    except (ValueError, SyntaxError, struct.error, EOFError) as exc:
        # Pillow raises these for truncated or malformed headers.
        return ImageMarkers(str(path), None, error=f"malformed image: {_one_line(exc)}")
    return ImageMarkers(str(path), fmt, tuple(sorted(found)), dict(sorted(found.items())))


def summarize_images(results: Iterable[ImageMarkers]) -> ImageSummary:
    """Count markers over images and estimate the share carrying a generator marker.

    Parameters
    ----------
    results
        Per-image results from :func:`read_image_markers`.

    Returns
    -------
    ImageSummary
        Counts per marker, the share of readable images with a generator marker and its 95%
        Wilson score interval (E. B. Wilson, JASA 22:209-212, 1927).
    """
    images = unreadable = generated = 0
    counts: dict[str, int] = {}
    for r in results:
        if r.error is not None:
            unreadable += 1
            continue
        images += 1
        generated += r.generated
        for m in r.markers:
            counts[m] = counts.get(m, 0) + 1
    if images == 0:
        return ImageSummary(0, unreadable, {}, 0, None, None)
    return ImageSummary(
        images,
        unreadable,
        dict(sorted(counts.items())),
        generated,
        generated / images,
        wilson_interval(generated, images),
    )


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k/n`` (Wilson 1927).

    Parameters
    ----------
    k, n
        Successes and trials, ``0 <= k <= n``, ``n > 0``.
    z
        Normal quantile; the default gives a 95% interval.
    """
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _from_pillow(im: Image.Image, found: dict[str, str]) -> None:
    for name, segment in getattr(im, "applist", []):
        # JPEG APP11 carries JUMBF boxes (common identifier "JP"); C2PA labels its box "c2pa".
        if name == "APP11" and segment[:2] == b"JP" and b"jumb" in segment and b"c2pa" in segment:
            found.setdefault("c2pa", "JPEG APP11 JUMBF box labelled c2pa")
            _iptc(segment.decode("latin-1"), "C2PA manifest", found)
    for key, value in im.info.items():
        if isinstance(value, bytes):
            value = value[:_TEXT_CAP].decode("utf-8", "replace")
        if isinstance(value, str):
            _text_marker(str(key), value, found)
    if im.format == "PNG":
        # PngImageFile.getexif() decodes the whole image to reach a late eXIf chunk; the chunk
        # walker reads eXIf itself instead.
        return
    _from_exif(im.getexif(), found)


def _from_exif(exif: Image.Exif, found: dict[str, str]) -> None:
    software = exif.get(_EXIF_SOFTWARE)
    if isinstance(software, bytes):
        software = software.decode("latin-1")
    if isinstance(software, str) and _is_generator(software):
        found.setdefault("exif-software-generator", f"EXIF Software={_quote(software)}")
    try:
        comment = exif.get_ifd(_EXIF_IFD).get(_EXIF_USER_COMMENT)
    except (KeyError, ValueError, struct.error):
        comment = None
    text = _user_comment(comment)
    if text and _looks_like_parameters(text):
        found.setdefault("exif-usercomment-parameters", f"EXIF UserComment={_quote(text)}")


def _text_marker(key: str, value: str, found: dict[str, str]) -> None:
    stripped = value.lstrip()
    if key in ("xmp", "XML:com.adobe.xmp"):
        _iptc(value, "XMP", found)
    elif key == "parameters" and _looks_like_parameters(value):
        found.setdefault("sd-parameters", f"PNG text parameters={_quote(value)}")
    elif key in ("prompt", "workflow") and stripped.startswith("{"):
        found.setdefault("comfyui", f"PNG text {key}={_quote(value)}")
    elif key in ("invokeai_metadata", "sd-metadata", "Dream"):
        found.setdefault("invokeai", f"PNG text {key}={_quote(value)}")
    elif key == "Software" and "novelai" in value.lower():
        found.setdefault("novelai", f"PNG text Software={_quote(value)}")
    elif key == "Comment" and stripped.startswith("{") and '"uc"' in value and '"steps"' in value:
        found.setdefault("novelai", f"PNG text Comment={_quote(value)}")
    if key == "Software" and _is_generator(value):
        found.setdefault("exif-software-generator", f"Software={_quote(value)}")


def _from_png_chunks(fh: BinaryIO, found: dict[str, str]) -> None:
    """Walk PNG chunk headers; read only caBX and text chunks (capped)."""
    from PIL import Image

    if fh.read(8) != _PNG_SIGNATURE:
        return
    for _ in range(_MAX_CHUNKS):
        header = fh.read(8)
        if len(header) < 8:
            return
        length, ctype = struct.unpack(">I4s", header)
        if ctype == b"caBX":
            body = fh.read(min(length, _TEXT_CAP))
            found.setdefault("c2pa", "PNG caBX chunk (C2PA manifest store)")
            _iptc(body.decode("latin-1"), "C2PA manifest", found)
            fh.seek(length - len(body) + 4, 1)
        elif ctype in (b"tEXt", b"zTXt", b"iTXt"):
            body = fh.read(min(length, _TEXT_CAP))
            parsed = _png_text(ctype, body)
            if parsed is not None:
                _text_marker(parsed[0], parsed[1], found)
            fh.seek(length - len(body) + 4, 1)
        elif ctype == b"eXIf":
            body = fh.read(min(length, _TEXT_CAP))
            exif = Image.Exif()
            exif.load(body)
            _from_exif(exif, found)
            fh.seek(length - len(body) + 4, 1)
        elif ctype == b"IEND":
            return
        else:
            fh.seek(length + 4, 1)


def _png_text(ctype: bytes, body: bytes) -> tuple[str, str] | None:
    key, sep, rest = body.partition(b"\x00")
    if not sep:
        return None
    name = key.decode("latin-1")
    if ctype == b"tEXt":
        return name, rest.decode("latin-1")
    if ctype == b"zTXt":
        return name, _inflate(rest[1:]).decode("latin-1")
    # iTXt: compression flag, method, language tag \0, translated keyword \0, text.
    if len(rest) < 2:
        return None
    compressed = rest[0] == 1
    _lang, _, tail = rest[2:].partition(b"\x00")
    _translated, _, text = tail.partition(b"\x00")
    data = _inflate(text) if compressed else text
    return name, data.decode("utf-8", "replace")


def _inflate(data: bytes) -> bytes:
    # Bounded: a compressed text chunk must not expand without limit (a zlib bomb).
    try:
        return zlib.decompressobj().decompress(data, _TEXT_CAP)
    except zlib.error:
        return b""


def _iptc(text: str, where: str, found: dict[str, str]) -> None:
    for match in _IPTC_RE.finditer(text):
        found.setdefault(_IPTC_MARKER[match.group(1)], f"{where}: digitalsourcetype/{match.group(1)}")


def _user_comment(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        return None
    code, payload = value[:8], value[8:]
    if code.startswith(b"UNICODE"):
        # The EXIF spec leaves UCS-2 byte order to the file; A1111 (via piexif) writes big-endian.
        be, le = payload.decode("utf-16-be", "replace"), payload.decode("utf-16-le", "replace")
        return be if sum(c.isascii() for c in be) >= sum(c.isascii() for c in le) else le
    if code.startswith(b"ASCII"):
        return payload.decode("ascii", "replace")
    return value.decode("utf-8", "replace")


def _looks_like_parameters(text: str) -> bool:
    if sum(f in text for f in _A1111_FIELDS) >= 2:
        return True
    stripped = text.lstrip()
    return stripped.startswith("{") and '"prompt"' in text and ('"seed"' in text or '"steps"' in text)


def _is_generator(software: str) -> bool:
    low = software.lower()
    return any(sig in low for sig in GENERATOR_SOFTWARE)


def _quote(value: str) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= 120 else flat[:117] + "..."


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
