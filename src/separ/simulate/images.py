"""Small generated profile pictures (64x64 PNG) and their perceptual hashes.

The operation draws its avatars from a small pool per operator; some accounts carry a
slightly perturbed copy (noise, a brightness change, a crop) whose pHash differs from the
original by a few bits. Organic accounts get their own pictures, and a few hundred of them
are written as files too, so that "has a local file" says nothing about who is who.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image, ImageDraw

from separ.simulate.common import Rng

SIZE = 64
MAX_PERTURBED_BITS = 10


@dataclass(frozen=True, slots=True)
class Avatar:
    path: str  # relative to the output folder
    phash: str  # "phash:" + 16 hex digits
    png: bytes


def _colour(rng: Rng) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(0, 256, size=3))
    return (r, g, b)


def _picture(rng: Rng) -> Image.Image:
    img = Image.new("RGB", (SIZE, SIZE), _colour(rng))
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 8))):
        x0, y0 = (int(v) for v in rng.integers(-12, SIZE - 4, size=2))
        w, h = (int(v) for v in rng.integers(10, 48, size=2))
        shape = int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse((x0, y0, x0 + w, y0 + h), fill=_colour(rng))
        elif shape == 1:
            draw.rectangle((x0, y0, x0 + w, y0 + h), fill=_colour(rng))
        else:
            pts = [(int(a), int(b)) for a, b in rng.integers(-8, SIZE + 8, size=(3, 2))]
            draw.polygon(pts, fill=_colour(rng))
    arr = np.asarray(img, dtype=np.float64) + rng.normal(0.0, 5.0, size=(SIZE, SIZE, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def _perturb(img: Image.Image, rng: Rng, strength: float) -> Image.Image:
    arr = np.asarray(img, dtype=np.float64)
    arr = arr * (1.0 + 0.08 * strength * rng.random()) + rng.normal(0, 3 * strength, arr.shape)
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    crop = int(rng.integers(1, 4))
    box = (crop, crop, SIZE - crop, SIZE - crop)
    return out.crop(box).resize((SIZE, SIZE), Image.Resampling.BILINEAR)


def _encode(img: Image.Image, rng: Rng) -> Avatar:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    name = f"avatars/{int(rng.integers(0, 2**62)):016x}.png"
    return Avatar(name, f"phash:{imagehash.phash(img)}", buf.getvalue())


def near_copies(rng: Rng, copies: int) -> list[Avatar]:
    """One picture and ``copies`` perturbed versions a few pHash bits away from it."""
    base = _picture(rng)
    base_hash = imagehash.phash(base)
    out = [_encode(base, rng)]
    for _ in range(copies):
        strength = 1.0
        variant = _perturb(base, rng, strength)
        for _ in range(6):
            bits = int(imagehash.phash(variant) - base_hash)
            if 0 < bits <= MAX_PERTURBED_BITS:
                break
            strength = strength * 0.6 if bits > MAX_PERTURBED_BITS else strength * 1.5
            variant = _perturb(base, rng, strength)
        out.append(_encode(variant, rng))
    return out


def pictures(rng: Rng, n: int) -> list[Avatar]:
    """``n`` distinct pictures."""
    return [_encode(_picture(rng), rng) for _ in range(n)]
