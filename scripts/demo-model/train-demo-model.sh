#!/usr/bin/env bash
# Regenerates models/clipsearch-demo, the small CLIP that ClipSearch trains itself on procedural scenes:
#   1. data: `clip-search demo-gallery` renders seeded scenes of coloured shapes with English and Chinese
#      captions; six colour–shape pairings (red triangle, blue star, ...) never appear in training;
#   2. tokenizer: the genuine CLIP BPE cut down to the merges the captions use (build_tokenizer.py);
#   3. config.json: a small ViT image tower and text transformer, and seeded initial weights from
#      transformers' CLIP initializer (initial_weights.py, see there why not --from-scratch's);
#   4. `clip-search train` from those random weights with a fixed seed;
#   5. held-out evaluation: text→image recall (`clip-search eval`) and zero-shot colour/shape accuracy
#      (`clip-search demo-gallery evaluate`) on scenes of the held-out pairings only;
#   6. the model folder and its model card (README.md with the measured figures).
# Everything is determined by the seed; run from anywhere: bash scripts/demo-model/train-demo-model.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
binary="${CLIPSEARCH_BINARY:-.build/release/clip-search}"
seed="${SEED:-1}"
scenes="${SCENES:-4500}"          # training scenes (two captions each: English and Chinese)
held_out_scenes="${HELD_OUT_SCENES:-300}"
epochs="${EPOCHS:-10}"
batch="${BATCH:-64}"
learning_rate="${LEARNING_RATE:-1.5e-3}"
warmup="${WARMUP:-20}"
image_size=48
context=40
work="${WORK:-/tmp/clipsearch-demo-work}"
target=models/clipsearch-demo
[ -x "$binary" ] || { echo "build first: swift build -c release --product clip-search" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/base"

echo "== 1. data (seed $seed)"
"$binary" demo-gallery --out "$work/data" --count "$scenes" --held-out-count "$held_out_scenes" --size "$image_size" --seed "$seed"

echo "== 2. tokenizer"
"$binary" demo-gallery texts | python3 scripts/demo-model/build_tokenizer.py Tests/Fixtures/tokenizer/clip-bpe "$work/base" "$context"

echo "== 3. config"
python3 - "$work/base" "$image_size" "$context" <<'PY'
import json, sys
folder, image_size, context = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
vocab = json.load(open(f"{folder}/vocab.json", encoding="utf-8"))
start, end = vocab["<|startoftext|>"], vocab["<|endoftext|>"]
projection = 64
config = {
    "architectures": ["CLIPModel"], "initializer_factor": 1.0, "logit_scale_init_value": 3.912, "model_type": "clip",
    "projection_dim": projection, "torch_dtype": "float32",
    "text_config": {"bos_token_id": start, "eos_token_id": end, "pad_token_id": end, "hidden_size": 96, "intermediate_size": 384,
                    "num_attention_heads": 3, "num_hidden_layers": 2, "max_position_embeddings": context, "vocab_size": len(vocab),
                    "projection_dim": projection, "hidden_act": "quick_gelu", "model_type": "clip_text_model"},
    "vision_config": {"hidden_size": 96, "image_size": image_size, "intermediate_size": 384, "num_attention_heads": 3,
                      "num_hidden_layers": 4, "patch_size": 6, "projection_dim": projection, "hidden_act": "quick_gelu",
                      "model_type": "clip_vision_model"},
}
json.dump(config, open(f"{folder}/config.json", "w"), indent=2)
mean, std = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]
json.dump({"crop_size": {"height": image_size, "width": image_size}, "do_center_crop": True, "do_convert_rgb": True,
           "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": mean, "image_std": std,
           "image_processor_type": "CLIPImageProcessor", "resample": 3, "rescale_factor": 1 / 255,
           "size": {"shortest_edge": image_size}}, open(f"{folder}/preprocessor_config.json", "w"), indent=2)
PY
python3 scripts/demo-model/initial_weights.py "$work/base" "$seed"

echo "== 4. train"
train_command=("$binary" train --model "$work/base" --data "$work/data/train.tsv" --out "$work/run"
  --epochs "$epochs" --batch-size "$batch" --learning-rate "$learning_rate" --warmup "$warmup" --weight-decay 0.05
  --held-out 0.02 --seed "$seed")
started=$(date +%s)
"${train_command[@]}" | tee "$work/train.log" | grep -E "^(training|held-out|done)|step [0-9]*0/" || true
train_seconds=$(( $(date +%s) - started ))
grep -q "^done" "$work/train.log" || { echo "training failed, see $work/train.log" >&2; exit 1; }

echo "== 5. held-out evaluation"
rm -rf "$target"
mkdir -p "$target"
for name in model.safetensors config.json vocab.json merges.txt tokenizer_config.json special_tokens_map.json preprocessor_config.json; do
  cp "$work/run/$name" "$target/"
done
"$binary" eval --model "$target" --data "$work/data/heldout-en.tsv" --json > "$work/eval-en.json"
"$binary" eval --model "$target" --data "$work/data/heldout-zh.tsv" --json > "$work/eval-zh.json"
"$binary" demo-gallery evaluate --model "$target" --count 300 --seed 20240601 --pairings heldout --json > "$work/zero-shot-heldout.json"
"$binary" demo-gallery evaluate --model "$target" --count 300 --seed 20240601 --pairings training --json > "$work/zero-shot-training.json"
cat "$work"/eval-*.json "$work"/zero-shot-*.json

echo "== 6. model card"
python3 scripts/demo-model/write_model_card.py "$work" "$target" "$train_seconds" "${train_command[*]}" "$seed" "$scenes" "$held_out_scenes"
du -sh "$target"
