#!/usr/bin/env python3
"""Writes models/clipsearch-demo/README.md (the model card) from the figures train-demo-model.sh measured.

usage: write_model_card.py <work-folder> <model-folder> <train-seconds> <train-command> <seed> <scenes> <held-out-scenes>
"""
import json
import os
import re
import sys
from pathlib import Path

work, target = Path(sys.argv[1]), Path(sys.argv[2])
train_seconds, command, seed, scenes, held_out_scenes = int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
config = json.loads((target / "config.json").read_text())
vision, text = config["vision_config"], config["text_config"]
log = (work / "train.log").read_text().splitlines()
evaluations = {lang: json.loads((work / f"eval-{lang}.json").read_text()) for lang in ("en", "zh")}


def zero_shot(name):
    rows = [json.loads(line) for line in (work / f"zero-shot-{name}.json").read_text().splitlines() if line.strip()]
    return {row["language"]: row for row in rows}


held, seen = zero_shot("heldout"), zero_shot("training")
losses = [(int(m.group(1)), float(m.group(2))) for m in (re.search(r"step (\d+)/\d+ loss ([0-9.]+)", line) for line in log) if m]
window = max(1, len(losses) // 12)
curve = [(losses[i + window - 1][0], sum(loss for _, loss in losses[i:i + window]) / window)
         for i in range(0, len(losses) - window + 1, window)]
speed = next((line for line in log if line.startswith("done:")), "")
epochs = [line for line in log if line.startswith("held-out")]
size_mb = sum(f.stat().st_size for f in target.iterdir() if f.is_file()) / 1e6
vocab = len(json.loads((target / "vocab.json").read_text(encoding="utf-8")))

card = f"""# clipsearch-demo

A small CLIP trained from scratch by ClipSearch itself, on procedural scenes of coloured shapes with English
and Chinese captions (`clip-search demo-gallery`). It is the offline default model: `clip-search` uses it when
no `--model` is given, `CLIPSEARCH_MODEL` is unset and `openai/clip-vit-base-patch32` is not cached, and
`--model demo` names it explicitly. It knows only its own little world: 6 shapes (circle, square, triangle,
star, cross, diamond), 7 colours, 2 sizes, 5 positions and counts 1–3. It is not a general image model.

## Architecture ({size_mb:.1f} MB, float32 safetensors, Hugging Face CLIP layout)
- Image: ViT, {vision['image_size']}×{vision['image_size']} pixels, patch {vision['patch_size']}, width {vision['hidden_size']}, {vision['num_hidden_layers']} layers, {vision['num_attention_heads']} heads.
- Text: width {text['hidden_size']}, {text['num_hidden_layers']} layers, {text['num_attention_heads']} heads, context {text['max_position_embeddings']} tokens.
- Projection {config['projection_dim']}. Tokenizer: the genuine CLIP byte-level BPE cut down to the {vocab - 514} merges
  the demo's captions and prompts use ({vocab} tokens); those texts tokenize exactly as with the full vocabulary.

## Data
{scenes} training scenes (48 px), each with one English and one Chinese caption from a small grammar
("two small red circles on the left" / "左边有两个小的红色圆形", plus shorter forms such as "a photo of a red circle",
"红色"). Six colour–shape pairings never appear in training: red triangle, blue star, green circle, yellow
square, purple cross, orange diamond. Evaluation uses {held_out_scenes} separately seeded scenes of those pairings only.

## Results on held-out pairings (never seen in training)
| measure | English | Chinese | chance |
|---|---|---|---|
| text→image recall@1 ({evaluations['en']['pairs']} scenes) | {evaluations['en']['text_to_image_recall@1'] * 100:.1f}% | {evaluations['zh']['text_to_image_recall@1'] * 100:.1f}% | {100 / evaluations['en']['pairs']:.1f}% |
| text→image recall@5 | {evaluations['en']['text_to_image_recall@5'] * 100:.1f}% | {evaluations['zh']['text_to_image_recall@5'] * 100:.1f}% | {500 / evaluations['en']['pairs']:.1f}% |
| zero-shot colour (7 labels) | {held['en']['colourAccuracy'] * 100:.1f}% | {held['zh']['colourAccuracy'] * 100:.1f}% | 14.3% |
| zero-shot shape (6 labels) | {held['en']['shapeAccuracy'] * 100:.1f}% | {held['zh']['shapeAccuracy'] * 100:.1f}% | 16.7% |
| full caption among the set's distinct descriptions | {held['en']['captionAccuracy'] * 100:.1f}% | {held['zh']['captionAccuracy'] * 100:.1f}% | |

Recall counts a hit only for the caption's own image, although several held-out scenes share one description,
so it understates retrieval. Zero-shot labels use `clip-search classify`'s photo prompts in English and
"{{}}" / "一张{{}}的照片" in Chinese (`clip-search demo-gallery evaluate`). For comparison, on scenes of the training
pairings: colour {seen['en']['colourAccuracy'] * 100:.1f}% / {seen['zh']['colourAccuracy'] * 100:.1f}%, shape {seen['en']['shapeAccuracy'] * 100:.1f}% / {seen['zh']['shapeAccuracy'] * 100:.1f}%, full caption {seen['en']['captionAccuracy'] * 100:.1f}% / {seen['zh']['captionAccuracy'] * 100:.1f}% (English / Chinese).

## Training
{len(losses)} steps in {train_seconds} s on 2 shared CPU cores ({speed.removeprefix('done: ')}).
Random 2% of the training pairs held out each epoch (seen pairings):
{chr(10).join('- ' + line for line in epochs)}

Loss (mean over {window} steps): {', '.join(f'step {step}: {loss:.2f}' for step, loss in curve)}

## Regenerate
```
swift build -c release --product clip-search
bash scripts/demo-model/train-demo-model.sh      # seed {seed}
```
The script generates the data, builds the tokenizer, writes config.json and runs
`{command.replace(str(work), '$WORK')}`,
then evaluates and writes this folder. The same seed gives the same data and initial weights.
"""
(target / "README.md").write_text(card, encoding="utf-8")
print(card)
