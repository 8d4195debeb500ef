"""Solid-colour Y4M files for Chromium's fake camera, so each role's picture is recognisable."""

from __future__ import annotations

from pathlib import Path

RED = (220, 40, 40)
"""The guest's camera (bright enough to pass the lighting check)."""
BLUE = (40, 70, 220)
"""The clinician's camera."""


def rgb_to_yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 limited-range Y'CbCr, the way Chromium reads a Y4M file."""
    r, g, b = rgb
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return round(y), round(u), round(v)


def write_y4m(
    path: Path, rgb: tuple[int, int, int], width: int = 320, height: int = 240, frames: int = 4
) -> Path:
    """A short 4:2:0 Y4M clip of one colour (Chromium loops it)."""
    y, u, v = rgb_to_yuv(rgb)
    luma = bytes([y]) * (width * height)
    chroma_u = bytes([u]) * (width * height // 4)
    chroma_v = bytes([v]) * (width * height // 4)
    frame = b"FRAME\n" + luma + chroma_u + chroma_v
    header = f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path
