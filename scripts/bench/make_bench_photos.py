#!/usr/bin/env python3
"""Write N realistic-size JPEG photos for end-to-end benchmarks (dev-only, never run by CI).

The photos are built from scikit-image's bundled real photographs by seeded random crops, resizes,
colour shifts and mild sensor-like noise (so JPEG entropy decoding costs what a camera file costs),
mixing 1600×1200 and 4000×3000 frames in landscape and portrait orientation.

  python3 scripts/bench/make_bench_photos.py /tmp/bench-photos            # 96 photos
  python3 scripts/bench/make_bench_photos.py /tmp/bench-photos --count 4 --quick
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from PIL import Image

SOURCES = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
           "motorcycle_right.png", "hubble_deep_field.jpg", "retina.jpg", "ihc.png", "camera.png",
           "grass.png", "gravel.png", "brick.png"]
# (width, height) of a landscape frame; about a third of the photos are 12 MP, the rest 2 MP.
SIZES = [(1600, 1200), (1600, 1200), (4000, 3000)]


def load_sources() -> list[Image.Image]:
    import skimage.data

    data_dir = Path(os.path.dirname(skimage.data.__file__))
    images = []
    for name in SOURCES:
        path = data_dir / name
        if path.exists():
            with Image.open(path) as opened:
                images.append(opened.convert("RGB"))
    if not images:
        raise FileNotFoundError(f"no scikit-image sample photos found in {data_dir}")
    return images


def make_photo(source: Image.Image, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    width, height = source.size
    target_ratio = size[0] / size[1]
    # Random crop of at least half the source with the target aspect ratio.
    crop_height = int(height * rng.uniform(0.5, 1.0))
    crop_width = min(width, int(crop_height * target_ratio))
    crop_height = int(crop_width / target_ratio)
    left = int(rng.integers(0, width - crop_width + 1))
    top = int(rng.integers(0, height - crop_height + 1))
    image = source.crop((left, top, left + crop_width, top + crop_height)).resize(size, Image.BICUBIC)
    pixels = np.asarray(image, dtype=np.float32)
    gains = rng.uniform(0.8, 1.2, size=3).astype(np.float32)
    gamma = np.float32(rng.uniform(0.8, 1.25))
    pixels = 255.0 * np.power(np.clip(pixels * gains / 255.0, 0.0, 1.0), gamma)
    pixels += rng.normal(0.0, 3.0, size=pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--count", type=int, default=96)
    parser.add_argument("--seed", type=int, default=96)
    parser.add_argument("--quick", action="store_true", help="small frames only (640×480), for a smoke run")
    arguments = parser.parse_args()
    folder = Path(arguments.folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(arguments.seed)
    sources = load_sources()
    for index in range(arguments.count):
        size = (640, 480) if arguments.quick else SIZES[index % len(SIZES)]
        if index % 4 == 3:  # every fourth photo is portrait
            size = (size[1], size[0])
        photo = make_photo(sources[index % len(sources)], size, rng)
        quality = int(rng.integers(85, 96))
        photo.save(folder / f"bench-{index:03d}.jpg", quality=quality, subsampling="4:2:0", optimize=False)
    print(f"wrote {arguments.count} photos to {folder}")


if __name__ == "__main__":
    main()
