"""Image provenance markers: every test builds its own small image carrying the marker."""

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from scipy import stats

from collapse_guard.images import (
    MARKERS,
    ImageMarkers,
    read_image_markers,
    summarize_images,
    wilson_interval,
)

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
A1111 = (
    "a lighthouse at dusk, oil painting\nNegative prompt: blurry\n"
    "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 64x64, Model: sd15"
)


def _png(path: Path, info: PngImagePlugin.PngInfo | None = None) -> Path:
    Image.new("RGB", (8, 8), (120, 30, 200)).save(path, pnginfo=info)
    return path


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def _insert_before_iend(path: Path, chunk: bytes) -> None:
    raw = path.read_bytes()
    at = raw.rindex(b"IEND") - 4
    path.write_bytes(raw[:at] + chunk + raw[at:])


def _jumbf_c2pa(source_type: str) -> bytes:
    # A minimal JUMBF superbox: jumb( jumd(type uuid, toggles, label "c2pa"), payload ).
    label = b"c2pa\x00"
    jumd = b"jumd" + b"c2pa" + b"\x00\x11\x00\x10\x80\x00\xaa\x00\x38\x9b\x71" + b"\x03" + label
    jumd = struct.pack(">I", len(jumd) + 4) + jumd
    payload = f'{{"action":"c2pa.created","digitalSourceType":"{IPTC}{source_type}"}}'.encode()
    cbor = struct.pack(">I", len(payload) + 8) + b"cbor" + payload
    body = jumd + cbor
    return struct.pack(">I", len(body) + 8) + b"jumb" + body


def _jpeg(path: Path, **save: object) -> Path:
    Image.new("RGB", (8, 8), (10, 200, 40)).save(path, "JPEG", **save)
    return path


def test_plain_png_has_no_marker(tmp_path: Path) -> None:
    r = read_image_markers(_png(tmp_path / "plain.png"))
    assert r == ImageMarkers(str(tmp_path / "plain.png"), "PNG", (), {}, None)
    assert not r.generated


def test_a1111_parameters(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    r = read_image_markers(_png(tmp_path / "a.png", info))
    assert r.markers == ("sd-parameters",)
    assert "Steps: 20" in r.details["sd-parameters"]
    assert r.generated


def test_parameters_key_without_generation_fields_is_not_a_marker(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "exposure=1/250 iso=200")
    assert read_image_markers(_png(tmp_path / "cam.png", info)).markers == ()


def test_comfyui_prompt_and_workflow(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 1}}}))
    info.add_text("workflow", json.dumps({"nodes": [{"type": "SaveImage"}]}))
    assert read_image_markers(_png(tmp_path / "c.png", info)).markers == ("comfyui",)


def test_invokeai_metadata(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("invokeai_metadata", json.dumps({"model": "sd-1.5", "cfg_scale": 7.5}))
    assert read_image_markers(_png(tmp_path / "i.png", info)).markers == ("invokeai",)


def test_novelai_software_and_comment(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "NovelAI")
    info.add_text("Comment", json.dumps({"uc": "lowres", "steps": 28, "scale": 5, "seed": 9}))
    r = read_image_markers(_png(tmp_path / "n.png", info))
    assert r.markers == ("exif-software-generator", "novelai")


def test_png_cabx_c2pa_with_trained_algorithmic_media(tmp_path: Path) -> None:
    path = _png(tmp_path / "cr.png")
    _insert_before_iend(path, _chunk(b"caBX", _jumbf_c2pa("trainedAlgorithmicMedia")))
    r = read_image_markers(path)
    assert r.markers == ("c2pa", "iptc-trained-algorithmic-media")
    assert "C2PA manifest" in r.details["iptc-trained-algorithmic-media"]


def test_c2pa_camera_capture_is_not_a_generator_marker(tmp_path: Path) -> None:
    path = _png(tmp_path / "camera.png")
    _insert_before_iend(path, _chunk(b"caBX", _jumbf_c2pa("digitalCapture")))
    r = read_image_markers(path)
    assert r.markers == ("c2pa",)
    assert not r.generated


def test_jpeg_app11_c2pa(tmp_path: Path) -> None:
    path = _jpeg(tmp_path / "cr.jpg")
    box = _jumbf_c2pa("compositeWithTrainedAlgorithmicMedia")
    # APP11 payload: "JP" common identifier, instance number, packet sequence, then the box.
    payload = b"JP" + struct.pack(">HI", 1, 1) + box
    segment = b"\xff\xeb" + struct.pack(">H", len(payload) + 2) + payload
    raw = path.read_bytes()
    path.write_bytes(raw[:2] + segment + raw[2:])
    r = read_image_markers(path)
    assert r.format == "JPEG"
    assert r.markers == ("c2pa", "iptc-composite-trained-algorithmic-media")


def test_jpeg_xmp_digital_source_type(tmp_path: Path) -> None:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f'Iptc4xmpExt:DigitalSourceType="{IPTC}trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>'
    ).encode()
    r = read_image_markers(_jpeg(tmp_path / "x.jpg", xmp=xmp))
    assert r.markers == ("iptc-trained-algorithmic-media",)
    assert r.details["iptc-trained-algorithmic-media"].startswith("XMP")


def test_png_xmp_composite_variant_is_not_confused(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt(
        "XML:com.adobe.xmp",
        f"<x:xmpmeta><Iptc4xmpExt:DigitalSourceType>{IPTC}compositeWithTrainedAlgorithmicMedia"
        "</Iptc4xmpExt:DigitalSourceType></x:xmpmeta>",
    )
    r = read_image_markers(_png(tmp_path / "x.png", info))
    assert r.markers == ("iptc-composite-trained-algorithmic-media",)


def test_exif_software_and_usercomment(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0131] = "Adobe Firefly"
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + A1111.encode("utf-16-be")
    r = read_image_markers(_jpeg(tmp_path / "e.jpg", exif=exif.tobytes()))
    assert r.markers == ("exif-software-generator", "exif-usercomment-parameters")


def test_exif_camera_software_is_not_a_marker(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0131] = "Adobe Lightroom 13.1"
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00holiday in Crete"
    assert read_image_markers(_jpeg(tmp_path / "cam.jpg", exif=exif.tobytes())).markers == ()


def test_compressed_itxt_after_image_data_is_found(tmp_path: Path) -> None:
    # Pillow stops reading text at the first IDAT; the chunk walker still finds late chunks.
    path = _png(tmp_path / "late.png")
    text = zlib.compress(A1111.encode())
    _insert_before_iend(path, _chunk(b"iTXt", b"parameters\x00\x01\x00\x00\x00" + text))
    assert read_image_markers(path).markers == ("sd-parameters",)


def test_ztxt_bomb_is_inflated_only_up_to_the_cap(tmp_path: Path) -> None:
    path = _png(tmp_path / "bomb.png")
    bomb = zlib.compress(b"Steps: 1, Seed: 2 " + b"\x00" * (300 << 20), 9)
    _insert_before_iend(path, _chunk(b"zTXt", b"parameters\x00\x00" + bomb))
    start = time.perf_counter()
    r = read_image_markers(path)
    assert r.error is None
    assert r.markers == ("sd-parameters",)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"this is not an image at all", "not a readable image"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a readable image"),
    ],
)
def test_broken_files_report_an_error(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(content)
    r = read_image_markers(path)
    assert r.format is None and r.markers == ()
    assert r.error is not None and needle in r.error


def test_missing_file_reports_an_error(tmp_path: Path) -> None:
    r = read_image_markers(tmp_path / "nope.png")
    assert r.error is not None and r.error.startswith("cannot read")


def test_truncated_png_still_reports_markers_before_the_cut(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    buf = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buf, "PNG", pnginfo=info)
    path = tmp_path / "cut.png"
    path.write_bytes(buf.getvalue()[:-30])
    assert read_image_markers(path).markers == ("sd-parameters",)


def test_every_marker_is_documented() -> None:
    assert all(MARKERS[m] for m in MARKERS)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (5, 10), (3, 40), (40, 40), (1, 1000)])
def test_wilson_interval_matches_scipy(k: int, n: int) -> None:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(ci.low, abs=1e-9)
    assert hi == pytest.approx(ci.high, abs=1e-9)


def test_wilson_hand_computed() -> None:
    # k=0, n=10: upper = z^2/n / (1 + z^2/n) = 0.38415/1.38415 = 0.27754.
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.277533), abs=1e-5)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_summarize_images() -> None:
    results = [
        ImageMarkers("a.png", "PNG", ("sd-parameters",)),
        ImageMarkers("b.png", "PNG", ("c2pa",)),
        ImageMarkers("c.png", "PNG", ("c2pa", "iptc-trained-algorithmic-media")),
        ImageMarkers("d.png", "PNG"),
        ImageMarkers("e.png", None, error="not a readable image"),
    ]
    s = summarize_images(results)
    assert s.images == 4 and s.unreadable == 1
    assert s.counts == {"c2pa": 2, "iptc-trained-algorithmic-media": 1, "sd-parameters": 1}
    assert s.with_generator_marker == 2
    assert s.share == 0.5
    assert s.interval == pytest.approx(wilson_interval(2, 4))
    assert summarize_images([]).share is None


def test_png_exif_chunk(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0131] = "ComfyUI"
    path = tmp_path / "ex.png"
    Image.new("RGB", (8, 8)).save(path, exif=exif.tobytes())
    assert read_image_markers(path).markers == ("exif-software-generator",)
