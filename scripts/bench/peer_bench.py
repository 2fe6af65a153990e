#!/usr/bin/env python3
"""Peer benchmarks for ClipSearch: PyTorch and ONNX Runtime on a full-size ViT-B/32 (dev-only).

Run it only on a quiet machine; it prints ONE JSON line of results on stdout (logs go to stderr).

  python3 scripts/bench/peer_bench.py --photos /tmp/bench-photos        # full run (minutes)
  python3 scripts/bench/peer_bench.py --quick --photos /tmp/bench-photos-quick   # smoke run

Weights are random (no CLIP weights are installable here); speed does not depend on their values.
`--model-dir` loads a saved CLIPModel instead (e.g. /tmp/clip-b32-random from make_model_fixtures.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

OPENAI_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
OPENAI_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_seconds(function, warmups: int, runs: int) -> float:
    for _ in range(warmups):
        function()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


# --------------------------------------------------------------------------- preprocessing

def preprocess(path: Path, image_size: int, crop_size: int) -> np.ndarray:
    """CLIPImageProcessor-equivalent: exif transpose, RGB, bicubic shortest-edge resize, centre crop,
    rescale 1/255 and normalise — the same arithmetic transformers 4.46 performs."""
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    width, height = image.size
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = image_size, int(image_size * long / short)
    new_size = (new_short, new_long) if width <= height else (new_long, new_short)
    if new_size != image.size:
        image = image.resize(new_size, resample=Image.BICUBIC, reducing_gap=None)
    pixels = np.asarray(image)
    top = (pixels.shape[0] - crop_size) // 2
    left = (pixels.shape[1] - crop_size) // 2
    pixels = pixels[top:top + crop_size, left:left + crop_size]
    scaled = (pixels.astype(np.float64) * (1 / 255)).astype(np.float32)
    return ((scaled - OPENAI_MEAN) / OPENAI_STD).transpose(2, 0, 1)


def check_preprocessing(paths: list[Path]) -> float:
    """Largest difference between our preprocessing and CLIPImageProcessor over a few photos."""
    from PIL import Image, ImageOps
    from transformers import CLIPImageProcessor

    processor = CLIPImageProcessor(size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224})
    worst = 0.0
    for path in paths[:4]:
        with Image.open(path) as opened:
            reference = processor(images=ImageOps.exif_transpose(opened).convert("RGB"),
                                  return_tensors="np")["pixel_values"][0]
        worst = max(worst, float(np.abs(reference - preprocess(path, 224, 224)).max()))
    return worst


# --------------------------------------------------------------------------- models

def build_model(model_dir: str | None):
    import torch
    from transformers import CLIPConfig, CLIPModel

    if model_dir:
        return CLIPModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    torch.manual_seed(0)
    config = CLIPConfig()  # transformers' defaults are exactly openai/clip-vit-base-patch32's shapes
    config._attn_implementation = "eager"
    return CLIPModel(config).eval()


def torch_benchmarks(model, batches, warmups, runs) -> dict:
    import torch

    results = {}
    image_size = model.config.vision_config.image_size
    with torch.inference_mode():
        for batch in batches:
            pixels = torch.randn(batch, 3, image_size, image_size)
            seconds = median_seconds(lambda: model.get_image_features(pixel_values=pixels), warmups, runs)
            results[f"torch_fp32_images_per_second_batch{batch}"] = round(batch / seconds, 3)
        context = model.config.text_config.max_position_embeddings
        bos, eos = 49406, 49407
        short = torch.tensor([[bos, 320, 1125, 539, 320, 2368, eos]])  # "a photo of a cat", 7 tokens
        padded = torch.full((1, context), eos)
        padded[0, :short.shape[1]] = short[0]
        mask = torch.zeros((1, context), dtype=torch.long)
        mask[0, :short.shape[1]] = 1
        seconds = median_seconds(lambda: model.get_text_features(input_ids=short), warmups, runs * 3)
        results["torch_fp32_text_ms_7_tokens"] = round(seconds * 1000, 3)
        seconds = median_seconds(lambda: model.get_text_features(input_ids=padded, attention_mask=mask),
                                 warmups, runs * 3)
        results[f"torch_fp32_text_ms_{context}_padded_tokens"] = round(seconds * 1000, 3)
    return results


def export_vision_onnx(model, path: Path) -> None:
    import torch

    class VisionTower(torch.nn.Module):
        def __init__(self, clip):
            super().__init__()
            self.clip = clip

        def forward(self, pixel_values):
            return self.clip.get_image_features(pixel_values=pixel_values)

    image_size = model.config.vision_config.image_size
    example = torch.randn(2, 3, image_size, image_size)
    arguments = dict(input_names=["pixel_values"], output_names=["image_embeds"], opset_version=17,
                     dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})
    with torch.inference_mode():
        try:  # the TorchScript exporter needs no extra package; newer torch defaults to dynamo
            torch.onnx.export(VisionTower(model), (example,), str(path), dynamo=False, **arguments)
        except TypeError:
            torch.onnx.export(VisionTower(model), (example,), str(path), **arguments)


def onnx_session(path: Path, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_benchmarks(path: Path, image_size: int, batches, warmups, runs, threads) -> dict:
    session = onnx_session(path, threads)
    results = {}
    for batch in batches:
        pixels = np.random.default_rng(batch).standard_normal((batch, 3, image_size, image_size),
                                                              dtype=np.float32)
        seconds = median_seconds(lambda: session.run(None, {"pixel_values": pixels}), warmups, runs)
        results[f"onnxruntime_fp32_images_per_second_batch{batch}"] = round(batch / seconds, 3)
    return results


# --------------------------------------------------------------------------- end to end

def end_to_end_worker(folder: Path, onnx_path: Path, threads: int, batch: int) -> None:
    """Runs in a fresh process: session creation, decode, preprocess and inference all count."""
    from concurrent.futures import ThreadPoolExecutor

    session = onnx_session(onnx_path, threads)
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    decode_seconds = infer_seconds = 0.0
    embeddings = 0
    with ThreadPoolExecutor(max_workers=threads) as pool:  # Pillow releases the GIL while decoding
        for start in range(0, len(paths), batch):
            began = time.perf_counter()
            pixels = np.stack(list(pool.map(lambda p: preprocess(p, 224, 224), paths[start:start + batch])))
            middle = time.perf_counter()
            embeddings += session.run(None, {"pixel_values": pixels})[0].shape[0]
            decode_seconds += middle - began
            infer_seconds += time.perf_counter() - middle
    print(json.dumps({"images": embeddings, "decode_preprocess_seconds": decode_seconds,
                      "inference_seconds": infer_seconds}))


def end_to_end(folder: Path, onnx_path: Path, threads: int, batch: int) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--end-to-end-worker", str(folder),
               "--onnx-path", str(onnx_path), "--threads", str(threads), "--batch", str(batch)]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f"end-to-end worker failed on {folder}:\n{completed.stderr[-2000:]}")
    inner = json.loads(completed.stdout.strip().splitlines()[-1])
    return {
        "end_to_end_images": inner["images"],
        "end_to_end_wall_seconds": round(wall, 3),
        "end_to_end_images_per_second": round(inner["images"] / wall, 3),
        "end_to_end_decode_preprocess_seconds": round(inner["decode_preprocess_seconds"], 3),
        "end_to_end_inference_seconds": round(inner["inference_seconds"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", help="folder of photos for the end-to-end run (make_bench_photos.py)")
    parser.add_argument("--model-dir", help="load this saved CLIPModel instead of random B/32 weights")
    parser.add_argument("--onnx-path", default="/tmp/clip-b32-vision.onnx")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="batch 4, two runs: a smoke test only")
    parser.add_argument("--end-to-end-worker", metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument("--only-end-to-end", action="store_true",
                        help="only the end-to-end photo run (exports the ONNX file first if it is missing)")
    arguments = parser.parse_args()
    if arguments.end_to_end_worker:
        end_to_end_worker(Path(arguments.end_to_end_worker), Path(arguments.onnx_path),
                          arguments.threads, arguments.batch)
        return

    import onnxruntime
    import torch
    import transformers

    torch.set_num_threads(arguments.threads)
    batch = 4 if arguments.quick else arguments.batch
    runs, warmups = (2, 1) if arguments.quick else (arguments.runs, 2)
    results = {"threads": arguments.threads, "quick": arguments.quick, "torch": torch.__version__,
               "transformers": transformers.__version__, "onnxruntime": onnxruntime.__version__,
               "cpu_count": os.cpu_count()}
    log("building model")
    model = build_model(arguments.model_dir)
    results["model"] = arguments.model_dir or "random openai/clip-vit-base-patch32 shapes"
    onnx_path = Path(arguments.onnx_path)
    if arguments.only_end_to_end:
        if not onnx_path.exists():
            export_vision_onnx(model, onnx_path)
        results.update(end_to_end(Path(arguments.photos), onnx_path, arguments.threads, batch))
        print(json.dumps(results), flush=True)
        return
    log("PyTorch fp32")
    results.update(torch_benchmarks(model, [1, batch], warmups, runs))
    log(f"exporting vision tower to {onnx_path} (opset 17)")
    export_vision_onnx(model, onnx_path)
    image_size = model.config.vision_config.image_size
    session = onnx_session(onnx_path, arguments.threads)
    # Batch 3 differs from the export example's batch 2, so this also proves the batch axis is dynamic.
    probe = np.random.default_rng(1).standard_normal((3, 3, image_size, image_size), dtype=np.float32)
    with torch.inference_mode():
        reference = model.get_image_features(pixel_values=torch.from_numpy(probe)).numpy()
    results["onnx_max_abs_diff_vs_torch"] = float(np.abs(session.run(None, {"pixel_values": probe})[0]
                                                         - reference).max())
    del session
    log("ONNX Runtime fp32")
    results.update(onnx_benchmarks(onnx_path, image_size, [1, batch], warmups, runs, arguments.threads))
    if arguments.photos:
        photos = sorted(p for p in Path(arguments.photos).iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
        results["preprocess_max_abs_diff_vs_clip_image_processor"] = check_preprocessing(photos)
        if image_size == 224:
            log(f"end to end over {len(photos)} photos")
            results.update(end_to_end(Path(arguments.photos), onnx_path, arguments.threads, batch))
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
